package notify_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/app/notify"
	"github.com/cascade-gate/cascade/catalog/offers"
	"github.com/cascade-gate/cascade/catalog/registry"
)

func TestASignatureVerifiesOnlyForItsBodySecretAndTime(t *testing.T) {
	secret, body, at := "whsec_test", []byte(`{"id":"whd_1","event":"verdict.changed"}`), time.Unix(1767225600, 0)
	header := notify.Sign(secret, at, body)
	if !strings.HasPrefix(header, "t=1767225600,v1=") || len(header) != len("t=1767225600,v1=")+64 {
		t.Fatalf("header = %q, want t=<unix seconds>,v1=<64 hex digits>", header)
	}
	for _, c := range []struct {
		name, secret, header string
		body                 []byte
		now                  time.Time
		ok                   bool
	}{
		{"as sent", secret, header, body, at.Add(time.Minute), true},
		{"another body", secret, header, []byte(`{"id":"whd_1","event":"verdict.changed "}`), at, false},
		{"another secret", "whsec_other", header, body, at, false},
		{"replayed an hour later", secret, header, body, at.Add(time.Hour), false},
		{"timestamp changed", secret, strings.Replace(header, "t=1767225600", "t=1767225700", 1), body, at, false},
		{"no signature", secret, "t=1767225600", body, at, false},
	} {
		err := notify.Verify(c.secret, c.header, c.body, c.now, 5*time.Minute)
		if (err == nil) != c.ok {
			t.Errorf("%s: Verify = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

func TestBackoffRetriesWithin30sThenGrowsWithJitterAndLastsADay(t *testing.T) {
	var total time.Duration
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		d := notify.Backoff(1)
		if d < 5*time.Second || d > 10*time.Second {
			t.Fatalf("first retry after %s, want 5-10 s (within 30 s)", d)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Errorf("50 first retries took only %d distinct waits: no jitter", len(seen))
	}
	prev := time.Duration(0)
	attempts := 0
	for n := 1; total < notify.RetryFor; n++ {
		lo := notify.Backoff(n)
		if n <= 6 && lo < prev/2 { // grows ×3 a step; jitter keeps at least half
			t.Errorf("wait %d = %s, not growing from %s", n, lo, prev)
		}
		if lo > 2*time.Hour {
			t.Errorf("wait %d = %s, more than 2 h", n, lo)
		}
		prev, total, attempts = lo, total+lo, n
	}
	if attempts < 12 || attempts > 40 {
		t.Errorf("%d attempts in a day, want a dozen or a few dozen", attempts)
	}
}

// TestEachSubscriberHearsOnlyTheEventsItMay: an admin hears everything, a
// supplier its own imports, verdicts and disputes (never the other
// supplier's name), and a supplier may not subscribe to the operator's events.
func TestEachSubscriberHearsOnlyTheEventsItMay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a, b := supplier(t, db, "Supplier A"), supplier(t, db, "Supplier Bravo")
		admin, _ := subscribe(t, as(access.Admin, 0), db, "https://hooks.example/admin", notify.Events...)
		own := []string{notify.VerdictChanged, notify.ImportFinished, notify.DisputeOpened, notify.DisputeResolved, notify.VerdictUpcomingBlock}
		subA, _ := subscribe(t, as(access.Supplier, a), db, "https://a.example/hook", own...)
		subB, _ := subscribe(t, as(access.Supplier, b), db, "https://b.example/hook", own...)

		upload(t, db, b, "sku,gtin,brand,model,category,markets,password_model\nB-1,0614141000036,Brand,M-1,smart_camera,UK,unique_per_device\n")
		upload(t, db, a, "sku,gtin,brand,model,category,markets,password_model\nA-9,0614141000036,Brand,M-1,smart_camera,UK,universal_default\n")
		var dispute int64
		db.Raw("SELECT id FROM gtin_disputes").Scan(&dispute)
		if _, err := offers.NewService(db).Accept(system, dispute, "same camera as Supplier Bravo's B-1"); err != nil {
			t.Fatal(err)
		}
		reg := registry.NewStore(db)
		src, err := reg.AddSource(system, registry.NewSource{Scheme: "DE-BSI", URL: "http://127.0.0.1:1/de.csv"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Refresh(system, registry.NewFetcher(outbound.Policy{}), src); err == nil {
			t.Fatal("a refresh from loopback succeeded")
		}

		if _, err := notify.NewStore(db).Enqueue(system); err != nil {
			t.Fatal(err)
		}
		events := func(sub notify.Subscription) map[string]int {
			out := map[string]int{}
			for _, d := range deliveries(t, db, sub.ID) {
				out[d.Event]++
				m := payload(t, []byte(d.Payload))
				if m["id"] != d.UID || m["event"] != d.Event {
					t.Errorf("payload %s does not carry its id %s and event", d.Payload, d.UID)
				}
				if sub.SupplierID != nil {
					data := m["data"].(map[string]any)
					if data["supplier_id"] != float64(*sub.SupplierID) {
						t.Errorf("supplier %d got another supplier's %s: %s", *sub.SupplierID, d.Event, d.Payload)
					}
					if strings.Contains(d.Payload, "Bravo") || (*sub.SupplierID == a && strings.Contains(d.Payload, "B-1")) {
						t.Errorf("supplier %d's delivery names the other supplier: %s", *sub.SupplierID, d.Payload)
					}
					// Nor in what the other offer differs: told field by field,
					// uploads of guesses read it (found in review).
					if _, ok := data["differences"]; ok {
						t.Errorf("supplier %d's %s says in what the other offer differs: %s", *sub.SupplierID, d.Event, d.Payload)
					}
				}
			}
			return out
		}
		got := events(admin)
		for _, d := range deliveries(t, db, admin.ID) {
			if d.Event == notify.DisputeOpened && !strings.Contains(d.Payload, `"differences":["password_model"]`) {
				t.Errorf("the admin's dispute.opened does not say what differs: %s", d.Payload)
			}
		}
		for _, e := range []string{notify.ImportFinished, notify.VerdictChanged, notify.DisputeOpened, notify.DisputeResolved, notify.RegistryRefresh} {
			if got[e] == 0 {
				t.Errorf("admin heard no %s: %v", e, got)
			}
		}
		if got[notify.ImportFinished] != 2 {
			t.Errorf("admin heard %d import.finished, want 2", got[notify.ImportFinished])
		}
		gotA := events(subA)
		if gotA[notify.ImportFinished] != 1 || gotA[notify.VerdictChanged] == 0 || gotA[notify.DisputeOpened] != 1 || gotA[notify.DisputeResolved] != 1 || gotA[notify.RegistryRefresh] != 0 {
			t.Errorf("supplier A heard %v, want its import, verdicts and the dispute of its offer", gotA)
		}
		gotB := events(subB)
		if gotB[notify.ImportFinished] != 1 || gotB[notify.VerdictChanged] == 0 || gotB[notify.DisputeOpened]+gotB[notify.DisputeResolved]+gotB[notify.RegistryRefresh] != 0 {
			t.Errorf("supplier B heard %v, want its import and verdicts only (the dispute is of A's offer)", gotB)
		}
		for _, d := range deliveries(t, db, admin.ID) {
			if d.Event == notify.RegistryRefresh && !strings.Contains(d.Payload, "SOURCE_ADDRESS_REFUSED") {
				t.Errorf("registry.refresh_failed does not say why: %s", d.Payload)
			}
		}
		if n, err := notify.NewStore(db).Enqueue(system); n != 0 || err != nil {
			t.Errorf("a second enqueue wrote %d deliveries (%v), want 0", n, err)
		}

		// Who may subscribe to what.
		_, _, err = notify.NewStore(db).Subscribe(as(access.Supplier, a), notify.NewSubscription{URL: "https://a.example/x", Events: []string{notify.RegistryRefresh}})
		if errs.CodeOf(err) != "EVENT_NOT_ALLOWED" {
			t.Errorf("a supplier subscribing to registry refreshes: %v, want EVENT_NOT_ALLOWED", err)
		}
		for _, role := range []access.Role{access.CategoryManager, access.Buyer, access.Approver} {
			_, _, err := notify.NewStore(db).Subscribe(as(role, 0), notify.NewSubscription{URL: "https://x.example/", Events: []string{notify.VerdictChanged}})
			if !errors.Is(err, errs.ErrForbidden) {
				t.Errorf("%s subscribing: %v, want FORBIDDEN", role, err)
			}
		}
		for _, bad := range []notify.NewSubscription{
			{URL: "https://x.example/", Events: []string{"verdict.changd"}},
			{URL: "https://x.example/", Events: nil},
			{URL: "ftp://x.example/", Events: []string{notify.VerdictChanged}},
			{URL: "http://0x7f000001/", Events: []string{notify.VerdictChanged}},
		} {
			if _, _, err := notify.NewStore(db).Subscribe(as(access.Admin, 0), bad); errs.KindOf(err) != errs.Invalid {
				t.Errorf("subscribe %+v: %v, want an Invalid error", bad, err)
			}
		}
		// A supplier sees and deletes only its own subscriptions.
		if list, _ := notify.NewStore(db).Subscriptions(as(access.Supplier, a), database.PageRequest{}); len(list.Items) != 1 || list.Items[0].ID != subA.ID {
			t.Errorf("supplier A lists %+v, want only its own", list)
		}
		if err := notify.NewStore(db).Unsubscribe(as(access.Supplier, a), subB.ID); errs.KindOf(err) != errs.NotFound {
			t.Errorf("supplier A deleting B's subscription: %v, want NOT_FOUND", err)
		}
		if _, err := notify.NewStore(db).Deliveries(as(access.Supplier, a), admin.ID, database.PageRequest{}); errs.KindOf(err) != errs.NotFound {
			t.Errorf("supplier A reading the admin's deliveries: %v, want NOT_FOUND", err)
		}
	})
}

// TestReplicasEnqueuingAtOnceWriteEachDeliveryOnce: four enqueuers racing
// over the same streams write every delivery exactly once.
func TestReplicasEnqueuingAtOnceWriteEachDeliveryOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a := supplier(t, db, "Supplier A")
		sub, _ := subscribe(t, as(access.Admin, 0), db, "https://hooks.example/all", notify.VerdictChanged, notify.ImportFinished)
		csv := "sku,gtin,brand,model,category,markets\n"
		for i := 0; i < 30; i++ {
			csv += fmt.Sprintf("S-%d,%s,Brand,M-%d,smart_plug,UK EU\n", i, gtin(i), i)
		}
		upload(t, db, a, csv)
		var changes int64
		db.Raw("SELECT COUNT(*) FROM verdict_changes").Scan(&changes)
		var wg sync.WaitGroup
		errc := make(chan error, 12)
		for r := 0; r < 4; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 3; i++ {
					if _, err := notify.NewStore(db).Enqueue(system); err != nil {
						errc <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Errorf("enqueue: %v", err)
		}
		var n, distinct int64
		db.Raw("SELECT COUNT(*), COUNT(DISTINCT source) FROM webhook_deliveries WHERE subscription_id = ?", sub.ID).Row().Scan(&n, &distinct)
		if n != changes+1 || distinct != n {
			t.Errorf("%d deliveries (%d distinct events), want %d: each verdict change and the import once", n, distinct, changes+1)
		}
	})
}

// gtin is a valid GTIN-13 made from i.
func gtin(i int) string {
	body := fmt.Sprintf("400638%06d", i)
	sum := 0
	for j, r := range body {
		d := int(r - '0')
		if j%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return body + fmt.Sprint((10-sum%10)%10)
}

// TestAReceiverThatFailsHangsAndAnswersSlowlyGetsItsDelivery: the delivery
// is retried after a 500 and after a hang (the attempt times out), then a
// slow 200 delivers it; every attempt carries the same idempotency id and
// a valid signature; the log keeps status codes only. A receiver that hangs
// does not hold up another subscription's deliveries.
func TestAReceiverThatFailsHangsAndAnswersSlowlyGetsItsDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a := supplier(t, db, "Supplier A")
		release := make(chan struct{})
		defer close(release)
		flaky := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			switch n {
			case 0:
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte("stack trace: secret internals"))
			case 1: // hangs past the attempt's timeout
				select {
				case <-r.Context().Done():
				case <-release:
				}
			default:
				time.Sleep(300 * time.Millisecond) // slow, within the timeout
				w.WriteHeader(http.StatusOK)
			}
		})
		hanging := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		good := newReceiver(t, ok)
		sub, secret := subscribe(t, as(access.Admin, 0), db, flaky.URL+"/hook", notify.ImportFinished)
		subHang, _ := subscribe(t, as(access.Admin, 0), db, hanging.URL+"/hook", notify.VerdictChanged)
		subGood, _ := subscribe(t, as(access.Admin, 0), db, good.URL+"/hook", notify.ImportFinished)
		upload(t, db, a, "sku,gtin,brand,model,category,markets\nA-1,4006381333931,Brand,M,smart_plug,UK\n")
		runWorker(t, db, notify.Options{Outbound: loopback, Timeout: time.Second, Concurrency: 4,
			Backoff: func(int) time.Duration { return 100 * time.Millisecond }})

		eventually(t, 5*time.Second, "the good receiver got its delivery while another hangs", func() bool { return len(good.requests()) == 1 })
		eventually(t, 15*time.Second, "the flaky receiver's delivery delivered", func() bool {
			d := deliveries(t, db, sub.ID)
			return len(d) == 1 && d[0].Status == notify.StatusDelivered
		})
		d := deliveries(t, db, sub.ID)[0]
		if d.Attempts != 3 || d.LastStatusCode != 200 || d.LastError != "" || d.DeliveredAt == nil {
			t.Errorf("delivery = %+v, want 3 attempts ending in 200", d)
		}
		got := flaky.requests()
		if len(got) != 3 {
			t.Fatalf("flaky receiver got %d requests, want 3", len(got))
		}
		for i, r := range got {
			if r.delivery != d.UID || r.event != notify.ImportFinished || string(r.body) != d.Payload {
				t.Errorf("attempt %d: delivery %q event %q body %s, want %q, import.finished and the stored body", i, r.delivery, r.event, r.body, d.UID)
			}
			if err := notify.Verify(secret, r.signature, r.body, time.Now(), 5*time.Minute); err != nil {
				t.Errorf("attempt %d: signature %q: %v", i, r.signature, err)
			}
		}
		if gap := got[1].at.Sub(got[0].at); gap < 100*time.Millisecond {
			t.Errorf("retried after %s, before the backoff", gap)
		}
		var logged string
		db.Raw("SELECT last_error || payload FROM webhook_deliveries").Scan(&logged)
		if strings.Contains(logged, "stack trace") {
			t.Error("the receiver's words were stored")
		}
		eventually(t, 5*time.Second, "the hanging receiver's delivery has timed out and waits for a retry", func() bool {
			for _, d := range deliveries(t, db, subHang.ID) {
				if d.Attempts > 0 && d.Status == notify.StatusPending && d.LastError == notify.FailUnreachable && d.LastStatusCode == 0 {
					return true
				}
			}
			return false
		})
		if d := deliveries(t, db, subGood.ID); len(d) != 1 || d[0].Status != notify.StatusDelivered || d[0].Attempts != 1 {
			t.Errorf("good receiver's log = %+v", d)
		}
	})
}

// TestADeliveryThatKeepsFailingIsGivenUpAfterADayAndCanBeRedelivered.
func TestADeliveryThatKeepsFailingIsGivenUpAfterADayAndCanBeRedelivered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a := supplier(t, db, "Supplier A")
		healthy := make(chan bool, 1)
		healthy <- false
		rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			ok := <-healthy
			healthy <- ok
			if ok {
				w.WriteHeader(http.StatusAccepted)
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		sub, _ := subscribe(t, as(access.Supplier, a), db, rc.URL+"/hook", notify.ImportFinished)
		upload(t, db, a, "sku,gtin,brand,model,category,markets\nA-1,4006381333931,Brand,M,smart_plug,UK\n")
		// Each wait jumps most of a day: the second failure is past the day.
		runWorker(t, db, notify.Options{Outbound: loopback, Backoff: func(int) time.Duration { return 0 }})
		eventually(t, 5*time.Second, "the first delivery failed for good", func() bool {
			d := deliveries(t, db, sub.ID)
			return len(d) == 1 && d[0].Attempts >= 1
		})
		db.Exec("UPDATE webhook_deliveries SET give_up_at = ?", time.Now().UTC().Add(-time.Second))
		eventually(t, 5*time.Second, "the delivery given up after its day", func() bool {
			d := deliveries(t, db, sub.ID)
			return d[0].Status == notify.StatusFailed
		})
		d := deliveries(t, db, sub.ID)[0]
		if d.LastStatusCode != http.StatusServiceUnavailable || d.LastError != notify.FailHTTPStatus {
			t.Errorf("log = %+v, want 503 HTTP_STATUS", d)
		}
		attempts := len(rc.requests())
		time.Sleep(200 * time.Millisecond)
		if len(rc.requests()) != attempts {
			t.Fatal("a failed delivery is still being sent")
		}

		// Redeliver (as the subscribing supplier): the same delivery, sent again now.
		<-healthy
		healthy <- true
		if _, err := notify.NewStore(db).Redeliver(as(access.Supplier, 999), sub.ID, d.ID); errs.KindOf(err) != errs.NotFound {
			t.Errorf("another supplier redelivering: %v, want NOT_FOUND", err)
		}
		if _, err := notify.NewStore(db).Redeliver(as(access.Supplier, a), sub.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the redelivery delivered", func() bool {
			return deliveries(t, db, sub.ID)[0].Status == notify.StatusDelivered
		})
		got := rc.requests()
		if last := got[len(got)-1]; last.delivery != d.UID {
			t.Errorf("redelivery carried %q, want the same idempotency id %q", last.delivery, d.UID)
		}
		if d := deliveries(t, db, sub.ID)[0]; d.LastStatusCode != http.StatusAccepted || d.Attempts != len(got) {
			t.Errorf("log after redelivery = %+v (%d requests)", d, len(got))
		}
	})
}

// TestWebhooksNeverReachInternalAddressesUnlessAllowed: the worker's
// requests follow the registry sources' network rules.
func TestWebhooksNeverReachInternalAddressesUnlessAllowed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a := supplier(t, db, "Supplier A")
		rc := newReceiver(t, ok)
		sub, _ := subscribe(t, as(access.Admin, 0), db, rc.URL+"/hook", notify.ImportFinished)
		upload(t, db, a, "sku,gtin,brand,model,category,markets\nA-1,4006381333931,Brand,M,smart_plug,UK\n")
		runWorker(t, db, notify.Options{Backoff: func(int) time.Duration { return time.Hour }}) // no network allowed
		eventually(t, 5*time.Second, "the attempt refused", func() bool {
			d := deliveries(t, db, sub.ID)
			return len(d) == 1 && d[0].Attempts == 1
		})
		if d := deliveries(t, db, sub.ID)[0]; d.LastError != notify.FailAddressRefused || d.Status != notify.StatusPending {
			t.Errorf("log = %+v, want ADDRESS_REFUSED, retried later", d)
		}
		if n := len(rc.requests()); n != 0 {
			t.Errorf("the loopback receiver got %d requests", n)
		}
	})
}

// TestARedirectIsAFailedAttemptNotFollowed: a receiver answering 307 is not
// followed (a webhook goes where it was subscribed, nowhere else).
func TestARedirectIsAFailedAttemptNotFollowed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a := supplier(t, db, "Supplier A")
		target := newReceiver(t, ok)
		redirect := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/hook", http.StatusTemporaryRedirect)
		})
		sub, _ := subscribe(t, as(access.Admin, 0), db, redirect.URL+"/hook", notify.ImportFinished)
		upload(t, db, a, "sku,gtin,brand,model,category,markets\nA-1,4006381333931,Brand,M,smart_plug,UK\n")
		runWorker(t, db, notify.Options{Outbound: loopback, Backoff: func(int) time.Duration { return time.Hour }})
		eventually(t, 5*time.Second, "the attempt made", func() bool {
			d := deliveries(t, db, sub.ID)
			return len(d) == 1 && d[0].Attempts == 1
		})
		if d := deliveries(t, db, sub.ID)[0]; d.LastStatusCode != http.StatusTemporaryRedirect || d.LastError != notify.FailHTTPStatus {
			t.Errorf("log = %+v, want 307 HTTP_STATUS", d)
		}
		if n := len(target.requests()); n != 0 {
			t.Errorf("the redirect was followed: the target got %d requests", n)
		}
	})
}

// TestTwoReplicasDeliverEachDeliveryOnce: two workers on one database share
// the queue; a healthy receiver gets every delivery exactly once.
func TestTwoReplicasDeliverEachDeliveryOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a := supplier(t, db, "Supplier A")
		rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			time.Sleep(5 * time.Millisecond)
			w.WriteHeader(http.StatusOK)
		})
		sub, _ := subscribe(t, as(access.Admin, 0), db, rc.URL+"/hook", notify.VerdictChanged, notify.ImportFinished)
		csv := "sku,gtin,brand,model,category,markets\n"
		for i := 0; i < 20; i++ {
			csv += fmt.Sprintf("S-%d,%s,Brand,M-%d,smart_plug,UK\n", i, gtin(i), i)
		}
		upload(t, db, a, csv)
		runWorker(t, db, notify.Options{Outbound: loopback, Poll: 5 * time.Millisecond})
		runWorker(t, db, notify.Options{Outbound: loopback, Poll: 5 * time.Millisecond})
		var want int64
		db.Raw("SELECT COUNT(*) + 1 FROM verdict_changes").Scan(&want)
		eventually(t, 20*time.Second, "every delivery delivered", func() bool {
			var n int64
			db.Raw("SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = ? AND status = 'delivered'", sub.ID).Scan(&n)
			return n == want
		})
		seen := map[string]int{}
		for _, r := range rc.requests() {
			seen[r.delivery]++
		}
		if int64(len(seen)) != want {
			t.Errorf("receiver saw %d deliveries, want %d", len(seen), want)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("delivery %s sent %d times", id, n)
			}
		}
	})
}

// TestADeadReceiverDoesNotHoldUpOthers: a receiver that hangs, with many
// deliveries queued, takes at most part of a worker's attempts; another
// subscription's delivery goes out at once.
func TestADeadReceiverDoesNotHoldUpOthers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		a := supplier(t, db, "Supplier A")
		release := make(chan struct{})
		defer close(release)
		hanging := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		good := newReceiver(t, ok)
		subscribe(t, as(access.Admin, 0), db, hanging.URL+"/hook", notify.VerdictChanged)
		csv := "sku,gtin,brand,model,category,markets\n"
		for i := 0; i < 10; i++ {
			csv += fmt.Sprintf("S-%d,%s,Brand,M-%d,smart_plug,UK\n", i, gtin(i), i)
		}
		upload(t, db, a, csv) // 20 verdict changes for the hanging receiver
		if _, err := notify.NewStore(db).Enqueue(system); err != nil {
			t.Fatal(err)
		}
		subscribe(t, as(access.Admin, 0), db, good.URL+"/hook", notify.ImportFinished)
		upload(t, db, a, "sku,gtin,brand,model,category,markets\nS-99,4006381333931,Brand,M,smart_plug,UK\n")
		start := time.Now()
		runWorker(t, db, notify.Options{Outbound: loopback, Timeout: 5 * time.Second, Concurrency: 4})
		eventually(t, 10*time.Second, "the good receiver got its delivery", func() bool { return len(good.requests()) == 1 })
		if took := time.Since(start); took > 3*time.Second { // behind the dead one: 5 s at least
			t.Errorf("the good receiver waited %s behind a dead one", took)
		}
	})
}

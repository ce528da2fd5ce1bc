package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/app/notify"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

var system = access.With(context.Background(), access.System("test"))

// as is a context for a user of role; supplierID for a supplier user.
func as(role access.Role, supplierID int64) context.Context {
	return access.With(context.Background(), access.Principal{Email: string(role) + "@test.example", Role: role, SupplierID: supplierID})
}

func supplier(t *testing.T, db *gorm.DB, name string) int64 {
	t.Helper()
	s, err := vendors.NewStore(db).Create(system, name)
	if err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// upload imports csv for a supplier the way the server does (verdicts
// recomputed in the import's transaction).
func upload(t *testing.T, db *gorm.DB, supplierID int64, csv string) imports.Batch {
	t.Helper()
	path := filepath.Join(t.TempDir(), "products.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	b, err := im.Import(system, imports.Request{SupplierID: supplierID, FileName: "products.csv", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func subscribe(t *testing.T, ctx context.Context, db *gorm.DB, url string, events ...string) (notify.Subscription, string) {
	t.Helper()
	sub, secret, err := notify.NewStore(db).Subscribe(ctx, notify.NewSubscription{URL: url, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return sub, secret
}

func deliveries(t *testing.T, db *gorm.DB, subID int64) []notify.Delivery {
	t.Helper()
	var out []notify.Delivery
	if err := db.Where("subscription_id = ?", subID).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// received is one request a receiver got.
type received struct {
	event, delivery, signature string
	body                       []byte
	at                         time.Time
}

// receiver is a local HTTP server that answers each request as its
// behaviour says, keyed by how many requests it has had before.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, received{event: r.Header.Get(notify.HeaderEvent), delivery: r.Header.Get(notify.HeaderDelivery),
			signature: r.Header.Get(notify.HeaderSignature), body: body, at: time.Now()})
		rc.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func ok(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

// loopback lets deliveries reach the test's receivers.
var loopback = outbound.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

// runWorker runs a delivery worker until the test ends.
func runWorker(t *testing.T, db *gorm.DB, o notify.Options) {
	t.Helper()
	if o.Poll == 0 {
		o.Poll = 20 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		notify.NewWorker(db, slog.New(slog.NewTextHandler(io.Discard, nil)), o).Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// eventually waits up to d for cond.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func payload(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, body)
	}
	return m
}

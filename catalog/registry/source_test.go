package registry_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// registryServer plays a registry that answers well, fails, hangs, sends
// garbage or sends far too much, depending on the path.
func registryServer(t *testing.T) *httptest.Server {
	good := "Registration No.,Manufacturer,Model,Level,Valid until,Status\nCSA/300629/00042,Acme,AC-CAM-1,2,2029-06-30,valid\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/good.csv":
			w.Write([]byte(good))
		case "/revoked.csv":
			w.Write([]byte(strings.Replace(good, ",valid", ",revoked", 1)))
		case "/fail":
			http.Error(w, "maintenance", http.StatusInternalServerError)
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/garbage":
			w.Write([]byte("\x00\x01PK garbage \xff\xfe"))
		case "/html":
			w.Write([]byte("<html><body>Product list</body></html>"))
		case "/huge":
			// A 2 GB body, declared and streamed until the client hangs up:
			// the fetcher must stop at its limit, not read it all.
			w.Header().Set("Content-Length", strconv.Itoa(2<<30))
			chunk := []byte(strings.Repeat("x", 64<<10))
			for range (2 << 30) / len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				hugeSent.Add(int64(len(chunk)))
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// loopback is the network the tests' httptest servers listen on.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// hugeSent counts what the 2 GB source got to send before the fetcher hung up.
var hugeSent atomic.Int64

func TestRefreshKeepsTheLastGoodSnapshotWhateverTheSourceDoes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		srv := registryServer(t)
		store := registry.NewStore(db)
		// The test's registry is on loopback: the fetcher is allowed that network only.
		fetcher := registry.Fetcher{Client: outbound.Client(outbound.Policy{Allow: loopback, Timeout: 300 * time.Millisecond}), MaxBytes: 1 << 20}
		mapping, _ := registry.ParseMapping("label_id=Registration No.,brand=Manufacturer,expires=Valid until")
		add := func(path string) registry.Source {
			src, err := store.AddSource(admin, registry.NewSource{Scheme: "SG-CLS", URL: srv.URL + path, Mapping: mapping, Schedule: "0 3 * * *"})
			if err != nil {
				t.Fatal(err)
			}
			return src
		}
		good, err := store.Refresh(admin, fetcher, add("/good.csv"))
		if err != nil || good.EntryCount != 1 || good.SourceID == nil {
			t.Fatalf("good source: %+v %v", good, err)
		}
		for _, path := range []string{"/fail", "/hang", "/garbage", "/html", "/huge", "/missing"} {
			src := add(path)
			if _, err := store.Refresh(admin, fetcher, src); err == nil {
				t.Errorf("%s: refresh succeeded", path)
			}
			list, _ := store.Snapshots(admin, "SG-CLS")
			if len(list) != 1 || list[0].ID != good.ID {
				t.Fatalf("%s: the last good snapshot was replaced: %+v", path, list)
			}
			after, _ := store.Source(admin, src.ID)
			if after.LastStatus != "failed" || after.LastError == "" || after.LastAttemptAt == nil || after.LastSuccessAt != nil {
				t.Errorf("%s: source status %+v", path, after)
			}
		}
		// The fetcher hung up on the 2 GB body near its 1 MB limit (plus what the
		// connection's buffers held), long before the end.
		if sent := hugeSent.Swap(0); sent > 64<<20 {
			t.Errorf("the 2 GB source sent %d MB before the fetcher stopped reading", sent>>20)
		}
		// The label is still valid in the view: no failure made it change.
		view, _ := store.LoadView(admin, time.Now())
		if e, _ := view.Label("SG-CLS", "csa/300629/00042"); e == nil || e.Status != "valid" {
			t.Fatalf("label after failed refreshes: %+v", e)
		}
		// A good refresh that revokes the label is taken.
		revoked, err := store.Refresh(admin, fetcher, add("/revoked.csv"))
		if err != nil || revoked.Revoked != 1 {
			t.Fatalf("revoking refresh: %+v %v", revoked, err)
		}
	})
}

func TestSourcesAreValidatedBeforeTheyAreSaved(t *testing.T) {
	store := registry.NewStore(dbtest.SQLite(t))
	cases := map[string]registry.NewSource{
		"INVALID_SCHEDULE": {Scheme: "SG-CLS", URL: "https://registry.example/list.csv", Schedule: "every night"},
		"INVALID_URL":      {Scheme: "SG-CLS", URL: "file:///etc/passwd"},
		"UNKNOWN_SCHEME":   {Scheme: "XX", URL: "https://registry.example/list.csv"},
	}
	for code, n := range cases {
		if _, err := store.AddSource(admin, n); errs.CodeOf(err) != code {
			t.Errorf("%s: %v", code, err)
		}
	}
}

func TestSourcesAreDueByTheirSchedule(t *testing.T) {
	last := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	next := last.Add(24 * time.Hour)
	cases := []struct {
		name       string
		src        registry.Source
		now        time.Time
		wantDue    bool
		wantFiring time.Time
	}{
		{"before the next 03:00", registry.Source{Enabled: true, Schedule: "0 3 * * *", LastAttemptAt: &last}, last.Add(23 * time.Hour), false, next},
		{"at the next 03:00", registry.Source{Enabled: true, Schedule: "0 3 * * *", LastAttemptAt: &last}, next, true, next},
		{"a day late, still for the missed firing", registry.Source{Enabled: true, Schedule: "0 3 * * *", LastAttemptAt: &last}, next.Add(24 * time.Hour), true, next},
		{"never fetched", registry.Source{Enabled: true, Schedule: "0 3 * * *"}, last, true, time.Time{}},
		{"disabled", registry.Source{Schedule: "0 3 * * *", LastAttemptAt: &last}, next.Add(24 * time.Hour), false, time.Time{}},
		{"no schedule", registry.Source{Enabled: true, LastAttemptAt: &last}, next.Add(24 * time.Hour), false, time.Time{}},
	}
	for _, c := range cases {
		firing, due := c.src.Due(c.now)
		if due != c.wantDue || !firing.Equal(c.wantFiring) {
			t.Errorf("%s: due %v for %v, want %v for %v", c.name, due, firing, c.wantDue, c.wantFiring)
		}
	}
}

package registry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// fetcherAllowing fetches with a short timeout, reaching the internal
// networks in allow (CIDRs) and no others.
func fetcherAllowing(t *testing.T, allow ...string) registry.Fetcher {
	t.Helper()
	nets, err := outbound.ParseNetworks(allow)
	if err != nil {
		t.Fatal(err)
	}
	return registry.Fetcher{Client: outbound.Client(outbound.Policy{Allow: nets, Timeout: 2 * time.Second}), MaxBytes: 1 << 20}
}

// internalServer plays a service inside the network: whatever reaches it
// gets a secret, laid out as a registry whose status column leaks it.
func internalServer(t *testing.T, hits *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("label_id,brand,model,status\nX-1,Acme,M-1,INTERNAL-SECRET-7f3a\n"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// serverOn starts h on ip (another loopback address plays the public internet).
func serverOn(t *testing.T, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// sourceAt stores a source and returns it pointing at rawURL, as if the
// stored URL were rawURL: the dial-time check must hold whatever got saved.
func sourceAt(t *testing.T, store *registry.Store, rawURL string) registry.Source {
	t.Helper()
	src, err := store.AddSource(admin, registry.NewSource{Scheme: "SG-CLS", URL: "https://registry.example/list.csv"})
	if err != nil {
		t.Fatal(err)
	}
	src.URL = outbound.URL(rawURL)
	return src
}

func TestASourceRedirectingInsideIsRefusedAndNothingItSentIsShown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		var hits atomic.Int32
		inside := internalServer(t, &hits)
		public := serverOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, inside.URL+"/latest/meta-data", http.StatusFound)
		}))
		store := registry.NewStore(db)
		src := sourceAt(t, store, public.URL+"/list.csv")
		_, err := store.Refresh(admin, fetcherAllowing(t, "127.0.0.2/32"), src)
		if errs.CodeOf(err) != "SOURCE_ADDRESS_REFUSED" {
			t.Errorf("refresh: %v, want SOURCE_ADDRESS_REFUSED", err)
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("the internal server was reached %d time(s)", n)
		}
		after, _ := store.Source(admin, src.ID)
		raw, _ := json.Marshal(after)
		for _, leak := range []string{"INTERNAL-SECRET", inside.Listener.Addr().String(), "meta-data"} {
			if strings.Contains(string(raw), leak) || strings.Contains(message(err), leak) {
				t.Errorf("%q shows in the source's status or the error: %s / %s", leak, raw, message(err))
			}
		}
	})
}

func TestInternalAddressesAreRefusedInEveryForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		var hits atomic.Int32
		inside := internalServer(t, &hits)
		_, port, _ := net.SplitHostPort(inside.Listener.Addr().String())
		inside6 := serverOn(t, "[::1]", inside.Config.Handler)
		_, port6, _ := net.SplitHostPort(inside6.Listener.Addr().String())
		store := registry.NewStore(db)
		for _, u := range []string{
			"http://127.0.0.1:" + port + "/",
			"http://localhost:" + port + "/",
			"http://[::1]:" + port6 + "/",
			"http://[::ffff:127.0.0.1]:" + port + "/",
			"http://[::ffff:7f00:1]:" + port + "/",
			"http://0x7f000001:" + port + "/",
			"http://2130706433:" + port + "/",
			"http://017700000001:" + port + "/",
			"http://0177.0.0.1:" + port + "/",
			"http://127.1:" + port + "/",
			"http://0.0.0.0:" + port + "/",
			"http://[::]:" + port6 + "/",
			"http://169.254.169.254/latest/meta-data/",
			"http://[::ffff:169.254.169.254]/",
			"http://[fe80::1]/",
			"http://10.1.2.3/",
			"http://172.16.0.1/",
			"http://192.168.0.1/",
			"http://100.64.0.1/",
			"http://[fd00::1]/",
			"http://224.0.0.1/",
			"http://255.255.255.255/",
		} {
			start := time.Now()
			_, err := store.Refresh(admin, fetcherAllowing(t), sourceAt(t, store, u))
			if errs.CodeOf(err) != "SOURCE_ADDRESS_REFUSED" {
				t.Errorf("%s: %v, want SOURCE_ADDRESS_REFUSED", u, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("%s: refused only after %v: it was dialled", u, d)
			}
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("the internal server was reached %d time(s)", n)
		}
	})
}

func TestAnAllowedNetworkIsFetched(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Write([]byte("label_id,brand,model,status\nX-1,Acme,M-1,valid\n"))
		}))
		t.Cleanup(srv.Close)
		store := registry.NewStore(db)
		snap, err := store.Refresh(admin, fetcherAllowing(t, "127.0.0.0/8"), sourceAt(t, store, srv.URL+"/list.csv"))
		if err != nil || snap.EntryCount != 1 || hits.Load() != 1 {
			t.Fatalf("allowed mirror: %+v %v (%d hits)", snap, err, hits.Load())
		}
	})
}

// TestAClosedPortAndAnOpenPortFailAlike: the error text of a refresh tells an
// admin the source could not be reached, never whether a port is open.
func TestAClosedPortAndAnOpenPortFailAlike(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		closed, _ := net.Listen("tcp", "127.0.0.1:0")
		closedAddr := closed.Addr().String()
		closed.Close()
		open, _ := net.Listen("tcp", "127.0.0.1:0") // speaks no HTTP: hangs up at once
		t.Cleanup(func() { open.Close() })
		go func() {
			for {
				c, err := open.Accept()
				if err != nil {
					return
				}
				c.Write([]byte("SSH-2.0-OpenSSH_9.6 internal-bastion\r\n"))
				c.Close()
			}
		}()
		store := registry.NewStore(db)
		for _, allow := range [][]string{nil, {"127.0.0.0/8"}} {
			var texts []string
			for _, addr := range []string{closedAddr, open.Addr().String()} {
				src := sourceAt(t, store, "http://"+addr+"/list.csv")
				_, err := store.Refresh(admin, fetcherAllowing(t, allow...), src)
				if err == nil {
					t.Fatalf("%s: refresh succeeded", addr)
				}
				after, _ := store.Source(admin, src.ID)
				texts = append(texts, after.LastError+" | "+message(err))
				for _, leak := range []string{addr, "SSH", "bastion", "refused", "EOF"} {
					if strings.Contains(after.LastError+message(err), leak) {
						t.Errorf("allow %v, %s: the error shows %q: %s", allow, addr, leak, after.LastError)
					}
				}
			}
			if texts[0] != texts[1] {
				t.Errorf("allow %v: a closed and an open port fail differently:\n%s\n%s", allow, texts[0], texts[1])
			}
		}
	})
}

func TestSourceErrorsGiveAStatusAndASizeNeverTheBody(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/fail":
				http.Error(w, "db at 10.9.8.7:5432 down INTERNAL-SECRET", http.StatusServiceUnavailable)
			case "/huge":
				w.Write([]byte(strings.Repeat("INTERNAL-SECRET,", 1<<17)))
			case "/unreadable":
				w.Write([]byte("label_id,brand,model,status\nX-1,Acme,M-1,INTERNAL-SECRET\n"))
			}
		}))
		t.Cleanup(srv.Close)
		store := registry.NewStore(db)
		cases := []struct{ path, code, message string }{
			{"/fail", "SOURCE_HTTP_STATUS", "the source answered 503"},
			{"/huge", "SOURCE_TOO_LARGE", "the source sent more than 1 MB"},
			{"/unreadable", "SOURCE_UNREADABLE", "the 57 bytes the source sent are not a registry Cascade can read"},
		}
		for _, c := range cases {
			src := sourceAt(t, store, srv.URL+c.path+"?api_key=KEY-SECRET")
			_, err := store.Refresh(admin, fetcherAllowing(t, "127.0.0.0/8"), src)
			after, _ := store.Source(admin, src.ID)
			if errs.CodeOf(err) != c.code || !strings.HasPrefix(message(err), c.message) {
				t.Errorf("%s: %v, want %s: %s", c.path, err, c.code, c.message)
			}
			if !strings.HasPrefix(after.LastError, c.code+": "+c.message) {
				t.Errorf("%s: last_error %q", c.path, after.LastError)
			}
			for _, leak := range []string{"INTERNAL-SECRET", "10.9.8.7", "KEY-SECRET", srv.Listener.Addr().String()} {
				if strings.Contains(after.LastError+message(err), leak) {
					t.Errorf("%s: the error shows %q: %s", c.path, leak, after.LastError)
				}
			}
		}
	})
}

func TestSourceURLCredentialsAreRedactedInJSONAuditAndText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		store := registry.NewStore(db)
		raw := "https://reg-user:hunter2@registry.example/list.csv?format=csv&API_KEY=k-123&Token=t-456&sig=s-789"
		src, err := store.AddSource(admin, registry.NewSource{Scheme: "SG-CLS", URL: raw})
		if err != nil {
			t.Fatal(err)
		}
		list, _ := store.Sources(admin)
		out, _ := json.Marshal(list)
		var details string
		db.Raw("SELECT data FROM audit_entries WHERE action = 'registry.source.add'").Scan(&details)
		text := fmt.Sprintf("%v %s %+v", src.URL, src.URL, src)
		for what, s := range map[string]string{"JSON": string(out), "audit": details, "text": text} {
			for _, secret := range []string{"reg-user", "hunter2", "k-123", "t-456", "s-789"} {
				if strings.Contains(s, secret) {
					t.Errorf("%s shows %q: %s", what, secret, s)
				}
			}
			if !strings.Contains(s, "registry.example/list.csv") || !strings.Contains(s, "format=csv") {
				t.Errorf("%s lost the URL's harmless parts: %s", what, s)
			}
		}
	})
}

func TestOnlyAdminsSeeSources(t *testing.T) {
	store := registry.NewStore(dbtest.SQLite(t))
	if _, err := store.AddSource(admin, registry.NewSource{Scheme: "SG-CLS", URL: "https://registry.example/list.csv"}); err != nil {
		t.Fatal(err)
	}
	for _, role := range []access.Role{access.CategoryManager, access.Buyer, access.Approver, access.Supplier} {
		ctx := access.With(context.Background(), access.Principal{UserID: 9, Email: "x@test.example", Role: role, SupplierID: 1})
		if list, err := store.Sources(ctx); errs.CodeOf(err) != "FORBIDDEN" {
			t.Errorf("%s: sources %+v, %v", role, list, err)
		}
	}
}

func TestNumericHostTricksAreRefusedWhenASourceIsAdded(t *testing.T) {
	store := registry.NewStore(dbtest.SQLite(t))
	for _, u := range []string{"http://0x7f000001/", "http://2130706433/", "http://017700000001/", "http://0177.0.0.1/", "http://127.1/",
		"http://0x7f.0.0.1/", "ftp://registry.example/list.csv", "https:///list.csv", "http://[::1/"} {
		if _, err := store.AddSource(admin, registry.NewSource{Scheme: "SG-CLS", URL: u}); errs.CodeOf(err) != "INVALID_URL" {
			t.Errorf("%s: %v, want INVALID_URL", u, err)
		}
	}
}

// message is what a user is told of err: an *errs.Error's message, nothing for others.
func message(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return ""
}

package web_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/app/web"
)

// sourceSecrets are the credentials in the test's source URLs.
var sourceSecrets = []string{"reg-user", "hunter2", "k-123", "t-456"}

func showsNoSecret(t *testing.T, what, body string) {
	t.Helper()
	for _, s := range sourceSecrets {
		if strings.Contains(body, s) {
			t.Errorf("%s shows the credential %q: %.600s", what, s, body)
		}
	}
}

// TestSourcesAreAdminOnlyAndTheirCredentialsNeverShow: a source URL with a
// user, a password and secret query parameters is fetched with them, and
// shown redacted in the API, the admin page, the audit log, the snapshots
// every user sees and the server's log; only admins see sources at all.
func TestSourcesAreAdminOnlyAndTheirCredentialsNeverShow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		var logs bytes.Buffer
		w.srv = web.New(db, slog.New(slog.NewJSONHandler(&logs, nil)))
		var gotAuth, gotQuery string
		registrySrv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			gotAuth, gotQuery = r.Header.Get("Authorization"), r.URL.RawQuery
			rw.Write([]byte("label_id,brand,model,status\nCSA/1,Acme,M-1,valid\n"))
		}))
		t.Cleanup(registrySrv.Close)
		host := strings.TrimPrefix(registrySrv.URL, "http://")

		add := func(url string) int64 {
			rec := w.request("admin", "POST", "/api/v1/schemes/SG-CLS/sources", map[string]any{"url": url})
			if rec.Code != http.StatusCreated {
				t.Fatalf("add source: %d %s", rec.Code, rec.Body)
			}
			showsNoSecret(t, "the created source", rec.Body.String())
			var id int64
			fmt.Sscanf(rec.Body.String()[strings.Index(rec.Body.String(), `"id":`)+5:], "%d", &id)
			return id
		}
		good := add("http://reg-user:hunter2@" + host + "/list.csv?format=csv&api_key=k-123")
		refused := add("http://reg-user:hunter2@127.0.0.1:1/list.csv?Token=t-456")

		// Loopback is refused by default, so the first refresh fails...
		if rec := w.request("admin", "POST", fmt.Sprintf("/api/v1/sources/%d/refresh", refused), nil); rec.Code != http.StatusServiceUnavailable ||
			errorCode(t, rec) != "SOURCE_ADDRESS_REFUSED" {
			t.Errorf("refresh of a loopback source: %d %s", rec.Code, rec.Body)
		} else {
			showsNoSecret(t, "the refresh error", rec.Body.String())
		}
		// ...and with the network allowed the source is fetched with its credentials.
		w.srv.AllowOutbound(outbound.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		if rec := w.request("admin", "POST", fmt.Sprintf("/api/v1/sources/%d/refresh", good), nil); rec.Code != http.StatusCreated {
			t.Fatalf("refresh of an allowed source: %d %s", rec.Code, rec.Body)
		} else {
			showsNoSecret(t, "the refresh's snapshot", rec.Body.String())
		}
		if gotAuth == "" || !strings.Contains(gotQuery, "api_key=k-123") {
			t.Errorf("the source was fetched without its credentials: %q %q", gotAuth, gotQuery)
		}

		rec := w.request("admin", "GET", "/api/v1/sources", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), outbound.Redacted) || !strings.Contains(rec.Body.String(), "SOURCE_ADDRESS_REFUSED") {
			t.Errorf("admin's sources: %d %s", rec.Code, rec.Body)
		}
		showsNoSecret(t, "GET /api/v1/sources", rec.Body.String())
		for _, role := range []string{"category_manager", "buyer", "approver", "supplier"} {
			if rec := w.request(role, "GET", "/api/v1/sources", nil); rec.Code != http.StatusForbidden {
				t.Errorf("%s: GET /api/v1/sources is %d: %.300s", role, rec.Code, rec.Body)
			}
		}
		rec = w.request("supplier", "GET", "/api/v1/schemes/SG-CLS/snapshots", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/list.csv") {
			t.Errorf("snapshots: %d %s", rec.Code, rec.Body)
		}
		showsNoSecret(t, "the snapshots a supplier sees", rec.Body.String())
		page := w.browse("admin").get("/admin/registries")
		if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "/list.csv") {
			t.Errorf("registries page: %d", page.Code)
		}
		showsNoSecret(t, "the registries page", page.Body.String())
		rec = w.request("admin", "GET", "/api/v1/audit?limit=500", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "registry.source.add") {
			t.Errorf("audit: %d %.300s", rec.Code, rec.Body)
		}
		showsNoSecret(t, "the audit log", rec.Body.String())
		if !strings.Contains(logs.String(), "SOURCE_ADDRESS_REFUSED") {
			t.Errorf("the log lacks the refused refresh: %s", logs.String())
		}
		showsNoSecret(t, "the server log", logs.String())
	})
}

package web_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// apiLoginVia signs in through the API from remote, with the X-Forwarded-For
// header a proxy (or a forger) would add.
func (w *world) apiLoginVia(email, pw, remote, forwardedFor string) *httptest.ResponseRecorder {
	w.t.Helper()
	raw, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	req := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	return w.serveFrom(req, remote, nil)
}

// spray fails the address allowance of sign-ins from remote, each with a
// different forwarded address, then signs a real user in the same way.
func (w *world) spray(remote string) *httptest.ResponseRecorder {
	w.t.Helper()
	for i := range auth.MaxFailuresPerRemote {
		rec := w.apiLoginVia(fmt.Sprintf("user%d@test.example", i), "Summer2026!", remote, fmt.Sprintf("198.18.%d.%d", i/250, i%250+1))
		if rec.Code != unauth {
			w.t.Fatalf("attempt %d: %d", i, rec.Code)
		}
	}
	return w.apiLoginVia("buyer@test.example", password, remote, "192.0.2.77")
}

// A client that writes its own X-Forwarded-For must not choose the address
// the sign-in throttle counts: by default no proxy is trusted.
func TestAForgedForwardedForDoesNotEscapeTheThrottle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		if rec := newWorld(t, db).spray("203.0.113.66:5000"); rec.Code != tooMany {
			t.Fatalf("a sprayer forging X-Forwarded-For escaped the throttle: %d, want 429", rec.Code)
		}
	})
}

// Behind a trusted proxy, the address it forwards is the client's: clients
// behind it are throttled each on its own.
func TestATrustedProxyForwardsTheClientsAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		if err := w.srv.TrustProxies([]string{"10.0.0.0/8"}); err != nil {
			t.Fatal(err)
		}
		if rec := w.spray("10.1.2.3:443"); rec.Code != ok {
			t.Fatalf("clients at distinct addresses behind a trusted proxy were throttled together: %d", rec.Code)
		}
		if err := w.srv.TrustProxies([]string{"not an address"}); err == nil {
			t.Fatal("a malformed proxy address was accepted")
		}
	})
}

package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// A database outage answers 503 and keeps the browser's session: signing
// everyone out because the database blinked would send every user back to
// the sign-in page (and, behind a load balancer, all at once).
func TestADatabaseOutageKeepsTheSessionCookie(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	id := sessionSet(w.apiLogin("category_manager@test.example", password, "192.0.2.1:1000"))
	if id == "" {
		t.Fatal("no session")
	}
	database.Close(w.db) // every query now fails as the database being gone

	for _, path := range []string{"/api/v1/me", "/dashboard"} {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: id})
		rec := httptest.NewRecorder()
		w.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s during the outage: %d (Retry-After %q), want 503 with Retry-After", path, rec.Code, rec.Header().Get("Retry-After"))
		}
		for _, c := range rec.Result().Cookies() {
			if c.Name == web.SessionCookie {
				t.Errorf("%s during the outage touched the session cookie: %+v", path, c)
			}
		}
	}
}

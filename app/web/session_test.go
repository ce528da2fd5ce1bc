package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/database/dbtest"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// login signs role in with a password and returns the session cookie and CSRF token.
func (w *world) login(role string) (*http.Cookie, string) {
	w.t.Helper()
	rec := w.request("", "POST", "/api/v1/session", map[string]string{"email": strings.ToUpper(role) + "@Test.Example", "password": password})
	if rec.Code != 200 {
		w.t.Fatalf("login %s: %d %s", role, rec.Code, rec.Body.String())
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.CSRF == "" {
		w.t.Fatalf("login body %s", rec.Body.String())
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "cascade_session" {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				w.t.Fatalf("session cookie lacks HttpOnly/SameSite: %+v", c)
			}
			return c, body.CSRF
		}
	}
	w.t.Fatal("no session cookie")
	return nil, ""
}

func (w *world) withCookie(c *http.Cookie, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	h := append([]string{"Cookie", c.Name + "=" + c.Value}, headers...)
	var b any
	if body != "" {
		b = []byte(body)
	}
	return w.request("", method, path, b, h...)
}

func TestSessionLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		cookie, csrf := w.login("admin")

		if rec := w.withCookie(cookie, "GET", "/api/v1/me", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "admin@test.example") {
			t.Fatalf("me: %d %s", rec.Code, rec.Body.String())
		}
		// A state-changing request with only the cookie is refused (CSRF) and changes nothing.
		before := count(t, db, "suppliers")
		rec := w.withCookie(cookie, "POST", "/api/v1/suppliers", `{"name":"Via cookie"}`)
		if rec.Code != 403 || errorCode(t, rec) != "CSRF_TOKEN_INVALID" {
			t.Fatalf("no CSRF: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.withCookie(cookie, "POST", "/api/v1/suppliers", `{"name":"Via cookie"}`, "X-CSRF-Token", "wrong"); rec.Code != 403 {
			t.Fatalf("wrong CSRF: %d", rec.Code)
		}
		if count(t, db, "suppliers") != before {
			t.Fatal("a refused request created a supplier")
		}
		if rec := w.withCookie(cookie, "POST", "/api/v1/suppliers", `{"name":"Via cookie"}`, "X-CSRF-Token", csrf); rec.Code != 201 {
			t.Fatalf("with CSRF: %d %s", rec.Code, rec.Body.String())
		}
		// Logout ends the session server-side: the old cookie no longer works.
		if rec := w.withCookie(cookie, "DELETE", "/api/v1/session", "", "X-CSRF-Token", csrf); rec.Code != 204 {
			t.Fatalf("logout: %d", rec.Code)
		}
		if rec := w.withCookie(cookie, "GET", "/api/v1/me", ""); rec.Code != 401 {
			t.Fatalf("after logout: %d", rec.Code)
		}
	})
}

func TestExpiredSessionGetsSessionExpired(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		cookie, _ := w.login("buyer")
		if err := db.Exec("UPDATE sessions SET expires_at = ?", time.Now().Add(-time.Second)).Error; err != nil {
			t.Fatal(err)
		}
		rec := w.withCookie(cookie, "GET", "/api/v1/me", "")
		if rec.Code != 401 || errorCode(t, rec) != "SESSION_EXPIRED" {
			t.Fatalf("expired: %d %s", rec.Code, rec.Body.String())
		}
	})
}

func TestEachLoginGetsAFreshSession(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		a, csrfA := w.login("approver")
		b, csrfB := w.login("approver")
		if a.Value == b.Value || csrfA == csrfB {
			t.Fatal("two logins share a session id or CSRF token")
		}
	})
}

func TestWrongPasswordAndUnknownEmailLookTheSame(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		wrong := w.request("", "POST", "/api/v1/session", map[string]string{"email": "admin@test.example", "password": "not the password"})
		unknown := w.request("", "POST", "/api/v1/session", map[string]string{"email": "nobody@test.example", "password": "not the password"})
		if wrong.Code != 401 || unknown.Code != 401 || wrong.Body.String() != unknown.Body.String() {
			t.Fatalf("wrong password %d %s; unknown e-mail %d %s", wrong.Code, wrong.Body.String(), unknown.Code, unknown.Body.String())
		}
	})
}

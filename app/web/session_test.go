package web_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
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

// apiLogin posts e-mail and password to the sign-in API from a client
// address, with any cookies the browser already holds.
func (w *world) apiLogin(email, pw, remote string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	w.t.Helper()
	raw, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	req := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	return w.serveFrom(req, remote, cookies)
}

// formLogin signs in through the HTML form as a browser does: it fetches the
// form for its CSRF cookie and token, then posts them with the credentials.
func (w *world) formLogin(email, pw, remote string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	w.t.Helper()
	form := w.request("", "GET", "/login", nil)
	var csrf *http.Cookie
	for _, c := range form.Result().Cookies() {
		if c.Name == "cascade_login_csrf" {
			csrf = c
		}
	}
	if form.Code != ok || csrf == nil {
		w.t.Fatalf("login form: %d, CSRF cookie %v", form.Code, csrf)
	}
	body := url.Values{"csrf": {csrf.Value}, "email": {email}, "password": {pw}}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return w.serveFrom(req, remote, append([]*http.Cookie{csrf}, cookies...))
}

func (w *world) serveFrom(req *http.Request, remote string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	if remote != "" {
		req.RemoteAddr = remote
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// sessionSet is the session id a response gives the browser, "" for none.
func sessionSet(rec *httptest.ResponseRecorder) string {
	for _, c := range rec.Result().Cookies() {
		if c.Name == "cascade_session" && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}

// TestSignInNeverAdoptsAPlantedSessionID plants a session cookie in the
// victim's browser before they sign in (session fixation): a made-up id, the
// id of a session that has ended, and the attacker's own live session. Signing
// in, through the API or the form, must give the browser a new id, and the
// planted one must not become the victim's: it stays signed out, or stays
// the attacker's.
func TestSignInNeverAdoptsAPlantedSessionID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		ended, csrf := w.login("approver")
		if rec := w.withCookie(ended, "DELETE", "/api/v1/session", "", "X-CSRF-Token", csrf); rec.Code != noBody {
			t.Fatalf("logout: %d", rec.Code)
		}
		attacker, _ := w.login("buyer")
		made := make([]byte, 32)
		_, _ = rand.Read(made)
		planted := []struct {
			name, value string
			owner       string // whose the id is after the victim signs in; "" for nobody
			ownerPage   int    // what that owner gets on the victim's page
		}{
			{"made-up id", base64.RawURLEncoding.EncodeToString(made), "", seeOther},
			{"ended session of another login", ended.Value, "", seeOther},
			{"the attacker's live session", attacker.Value, "buyer@test.example", forbid},
		}
		signIns := []struct {
			name string
			do   func(cookie *http.Cookie) *httptest.ResponseRecorder
			ok   int
		}{
			{"API", func(c *http.Cookie) *httptest.ResponseRecorder {
				return w.apiLogin("supplier@test.example", password, "", c)
			}, ok},
			{"form", func(c *http.Cookie) *httptest.ResponseRecorder {
				return w.formLogin("supplier@test.example", password, "", c)
			}, seeOther},
		}
		me := func(id string) *httptest.ResponseRecorder {
			return w.withCookie(&http.Cookie{Name: "cascade_session", Value: id}, "GET", "/api/v1/me", "")
		}
		page := func(id string) *httptest.ResponseRecorder {
			return w.withCookie(&http.Cookie{Name: "cascade_session", Value: id}, "GET", "/supplier", "")
		}
		for _, si := range signIns {
			for _, p := range planted {
				t.Run(si.name+" with "+p.name, func(t *testing.T) {
					rec := si.do(&http.Cookie{Name: "cascade_session", Value: p.value})
					got := sessionSet(rec)
					if rec.Code != si.ok || got == "" {
						t.Fatalf("sign-in: %d, session cookie %q", rec.Code, got)
					}
					if got == p.value {
						t.Fatal("sign-in kept the planted session id")
					}
					if rec := me(got); rec.Code != ok || !strings.Contains(rec.Body.String(), "supplier@test.example") {
						t.Fatalf("the new session is not the victim's: %d %s", rec.Code, rec.Body.String())
					}
					if rec := page(got); rec.Code != ok {
						t.Fatalf("the victim's page with the new session: %d", rec.Code)
					}
					rec = me(p.value)
					if strings.Contains(rec.Body.String(), "supplier@test.example") {
						t.Fatalf("the planted id is signed in as the victim: %s", rec.Body.String())
					}
					if p.owner == "" && rec.Code != unauth {
						t.Fatalf("the planted id answers %d, want 401: %s", rec.Code, rec.Body.String())
					}
					if p.owner != "" && (rec.Code != ok || !strings.Contains(rec.Body.String(), p.owner)) {
						t.Fatalf("the attacker's session changed hands: %d %s", rec.Code, rec.Body.String())
					}
					rec = page(p.value)
					if rec.Code != p.ownerPage || p.ownerPage == seeOther && !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
						t.Fatalf("the victim's page with the planted id: %d %s, want %d", rec.Code, rec.Header().Get("Location"), p.ownerPage)
					}
				})
			}
		}
	})
}

// TestWrongPasswordAndUnknownEmailLookTheSame: a wrong password, an unknown
// e-mail and a disabled account get the same refusal, through the API and
// the form, so that sign-in does not tell who has an account. (That they
// cost the same bcrypt work is proved in app/auth.)
func TestWrongPasswordAndUnknownEmailLookTheSame(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		system := access.With(context.Background(), access.System("test"))
		off, err := w.people.CreateUser(system, auth.NewUser{Email: "off@test.example", Role: access.CategoryManager, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.people.DisableUser(system, off.ID); err != nil {
			t.Fatal(err)
		}
		attempts := []struct{ name, email, password string }{
			{"wrong password", "admin@test.example", "not the password"},
			{"unknown e-mail", "nobody@test.example", "not the password"},
			{"unknown e-mail, a real password", "nobody@test.example", password},
			{"disabled account, right password", "off@test.example", password},
		}
		var first string
		for i, a := range attempts {
			remote := "192.0.2." + itoa(int64(i+1)) + ":1234"
			rec := w.apiLogin(a.email, a.password, remote)
			if rec.Code != unauth || sessionSet(rec) != "" {
				t.Errorf("API, %s: %d, session %q", a.name, rec.Code, sessionSet(rec))
			}
			if i == 0 {
				first = rec.Body.String()
			} else if rec.Body.String() != first {
				t.Errorf("API, %s: %s, but a wrong password gets %s", a.name, rec.Body.String(), first)
			}
			rec = w.formLogin(a.email, a.password, remote)
			if rec.Code != unauth || sessionSet(rec) != "" || !strings.Contains(rec.Body.String(), "The e-mail or password is wrong.") {
				t.Errorf("form, %s: %d, session %q", a.name, rec.Code, sessionSet(rec))
			}
		}
	})
}

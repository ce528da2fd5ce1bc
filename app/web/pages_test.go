package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// browser is a signed-in session: it follows no redirects, so tests see them.
type webSession struct {
	w      *world
	cookie *http.Cookie
	csrf   string
}

func (w *world) browse(role string) *webSession {
	w.t.Helper()
	cookie, csrf := w.login(role)
	return &webSession{w: w, cookie: cookie, csrf: csrf}
}

func (b *webSession) get(path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(b.cookie)
	rec := httptest.NewRecorder()
	b.w.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func (b *webSession) post(path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(b.cookie)
	rec := httptest.NewRecorder()
	b.w.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// Which role may open which page is in the one role matrix
// (TestEveryRouteWithEveryRole), with a real browser session per role.

func TestLoginPageSignsInAndSendsEachRoleToItsWork(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	// The form's CSRF token is a cookie plus a hidden field.
	rec := w.request("", "GET", "/login?next=/supplier/products", nil)
	var tok string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "cascade_login_csrf" {
			tok = c.Value
		}
	}
	if rec.Code != 200 || tok == "" || !strings.Contains(rec.Body.String(), `value="`+tok+`"`) {
		t.Fatalf("login form: %d", rec.Code)
	}
	post := func(form url.Values, cookie string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "cascade_login_csrf", Value: cookie})
		rec := httptest.NewRecorder()
		w.srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	if rec := post(url.Values{"csrf": {tok}, "email": {"supplier@test.example"}, "password": {"wrong"}}, tok); rec.Code != 401 || !strings.Contains(rec.Body.String(), "wrong") {
		t.Fatalf("wrong password: %d", rec.Code)
	}
	if rec := post(url.Values{"csrf": {"forged"}, "email": {"supplier@test.example"}, "password": {password}}, tok); rec.Code != 403 {
		t.Fatalf("forged CSRF: %d", rec.Code)
	}
	rec = post(url.Values{"csrf": {tok}, "email": {"supplier@test.example"}, "password": {password}, "next": {"/supplier/products"}}, tok)
	if rec.Code != 303 || rec.Header().Get("Location") != "/supplier/products" {
		t.Fatalf("login: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	rec = post(url.Values{"csrf": {tok}, "email": {"buyer@test.example"}, "password": {password}, "next": {"//evil.example/x"}}, tok)
	if rec.Header().Get("Location") != "/orders" {
		t.Fatalf("an off-site next was followed, or the buyer was not sent to orders: %s", rec.Header().Get("Location"))
	}
}

func TestFormsNeedTheSessionsCSRFToken(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	b := w.browse("supplier")
	if rec := b.post("/logout", url.Values{"csrf": {"nope"}}); rec.Code != 403 {
		t.Fatalf("logout without the token: %d", rec.Code)
	}
	if rec := b.post("/logout", url.Values{"csrf": {b.csrf}}); rec.Code != 303 {
		t.Fatalf("logout: %d", rec.Code)
	}
	if rec := b.get("/supplier"); rec.Code != 303 {
		t.Fatalf("after logout the session still works: %d", rec.Code)
	}
}

func TestSupplierTextIsEscapedOnPages(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	w.db.Exec("UPDATE products SET name = '<script>alert(1)</script>', model = '<img src=x onerror=alert(2)>' WHERE id = ?", w.productA)
	b := w.browse("supplier")
	rec := b.get("/supplier/products")
	body := rec.Body.String()
	if rec.Code != 200 || strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<img src=x") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("supplier text not escaped: %d %s", rec.Code, body)
	}
}

// The supplier's products page shows its upcoming blocks, soonest first,
// and never another supplier's.
func TestTheSupplierProductsPageShowsItsUpcomingBlocks(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	soon := civil.Of(time.Now().UTC()).AddDays(40).String()
	// Stored as a re-evaluation would have it: allowed today, blocked in 40 days.
	w.db.Exec("UPDATE verdicts SET verdict = 'allowed', blocks_on = ?, block_codes = 'SUPPORT_ENDED' WHERE channel = 'retail' AND product_id = ?", soon, w.productA)
	w.db.Exec("UPDATE verdicts SET verdict = 'allowed', blocks_on = ?, block_codes = 'LABEL_EXPIRED' WHERE channel = 'retail' AND product_id = ?", soon, w.productB)
	rec := w.browse("supplier").get("/supplier/products")
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "Upcoming blocks") || !strings.Contains(body, "<td>"+soon+"</td>") ||
		!strings.Contains(body, "SUPPORT_ENDED") || strings.Contains(body, "LABEL_EXPIRED") {
		t.Fatalf("upcoming blocks on the supplier's page: %d %s", rec.Code, body)
	}
}

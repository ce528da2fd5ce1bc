package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
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

// The dashboard's calendar counts the upcoming blocks by month and reason,
// and every figure of it opens the list of exactly the verdicts it counts.
func TestTheDashboardsCalendarCountsUpcomingBlocksAndEachCellListsThem(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	today := civil.Of(time.Now().UTC())
	first := civil.Date{Year: today.Year, Month: today.Month, Day: 1}
	m1, m2 := first.AddMonths(1), first.AddMonths(2)
	// Stored as a re-evaluation would have it: allowed today, blocked on a later date.
	w.db.Exec("UPDATE verdicts SET blocks_on = NULL, block_codes = ''")
	set := func(product int64, channel string, on civil.Date, codes string) {
		t.Helper()
		if n := w.db.Exec("UPDATE verdicts SET verdict = 'allowed', blocks_on = ?, block_codes = ? WHERE market = 'UK' AND channel = ? AND product_id = ?",
			on.String(), codes, channel, product).RowsAffected; n != 1 {
			t.Fatalf("%d verdicts of product %d in UK %s", n, product, channel)
		}
	}
	set(w.productA, "retail", m1.AddDays(9), "SUPPORT_ENDED")
	set(w.productA, "procurement", m1.AddDays(19), "LABEL_EXPIRED SUPPORT_ENDED")
	set(w.productB, "retail", m2.AddDays(4), "LABEL_EXPIRED")
	l1, l2 := m1.Time().Format("Jan 2006"), m2.Time().Format("Jan 2006")
	a1r, a1p, b1r := "A-1 UK retail", "A-1 UK procurement", "B-1 UK retail"
	want := map[string][]string{ // each figure's tooltip: what its list holds
		l1 + ": 2 verdicts turn blocked":                               {a1r, a1p},
		l1 + ": 2 verdicts turn blocked by SUPPORT_ENDED":              {a1r, a1p},
		l1 + ": 1 verdict turns blocked by LABEL_EXPIRED":              {a1p},
		l2 + ": 1 verdict turns blocked":                               {b1r},
		l2 + ": 1 verdict turns blocked by LABEL_EXPIRED":              {b1r},
		"LABEL_EXPIRED: 2 verdicts turn blocked in the next 12 months": {a1p, b1r},
		"SUPPORT_ENDED: 2 verdicts turn blocked in the next 12 months": {a1r, a1p},
	}
	b := w.browse("category_manager")
	rec := b.get("/dashboard")
	body := rec.Body.String()
	start := strings.Index(body, `id="calendar"`)
	end := strings.Index(body[max(start, 0):], "</figure>")
	if rec.Code != 200 || start < 0 || end < 0 {
		t.Fatalf("dashboard: %d %s", rec.Code, body)
	}
	links := regexp.MustCompile(`<a[^>]* href="([^"]+)" title="([^"]+)"`).FindAllStringSubmatch(body[start:start+end], -1)
	row := regexp.MustCompile(`<tr data-sku="([^"]+)" data-market="([^"]+)" data-channel="([^"]+)">`)
	seen, empty := map[string]bool{}, 0
	for _, l := range links {
		href, title := html.UnescapeString(l[1]), html.UnescapeString(l[2])
		expect, ok := want[title]
		if !ok && strings.HasSuffix(title, ": 0 verdicts turn blocked") {
			empty++
		} else if !ok {
			t.Errorf("a figure the fixture does not make: %q", title)
			continue
		}
		seen[title] = true
		page := b.get(href)
		var got []string
		for _, r := range row.FindAllStringSubmatch(page.Body.String(), -1) {
			got = append(got, r[1]+" "+r[2]+" "+r[3])
		}
		slices.Sort(got)
		slices.Sort(expect)
		if page.Code != 200 || !slices.Equal(got, expect) || !strings.Contains(page.Body.String(), fmt.Sprintf("of %d verdict(s)", len(expect))) && len(expect) > 0 {
			t.Errorf("%q opens %s: %d %v, want %v", title, href, page.Code, got, expect)
		}
	}
	for title := range want {
		if !seen[title] {
			t.Errorf("the calendar has no figure %q", title)
		}
	}
	if empty != 10 {
		t.Errorf("%d empty months, want 10", empty)
	}
	// The API: the same cell's list counts its total and exports it; a supplier's calendar is its own.
	var page struct{ Total int64 }
	rec = w.request("admin", "GET", "/api/v1/verdicts/upcoming?month="+m1.String()[:7]+"&code=support_ended&limit=1", nil)
	if json.Unmarshal(rec.Body.Bytes(), &page); rec.Code != 200 || page.Total != 2 {
		t.Errorf("the cell's API list: %d %s", rec.Code, rec.Body)
	}
	rec = w.request("category_manager", "GET", "/api/v1/verdicts/upcoming?month="+m1.String()[:7]+"&format=csv", nil)
	if lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n"); rec.Code != 200 || len(lines) != 3 || !strings.HasPrefix(lines[0], "blocks_on,supplier,sku") {
		t.Errorf("the month's CSV: %d %q", rec.Code, rec.Body)
	}
	var cal struct {
		Months []string
		Totals []int
	}
	rec = w.request("supplier", "GET", "/api/v1/verdicts/upcoming/calendar?months=3", nil)
	if json.Unmarshal(rec.Body.Bytes(), &cal); rec.Code != 200 || !slices.Equal(cal.Totals, []int{0, 2, 0}) || cal.Months[1] != m1.String()[:7] {
		t.Errorf("supplier A's calendar: %d %s", rec.Code, rec.Body)
	}
}

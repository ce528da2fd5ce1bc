package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

var nextField = regexp.MustCompile(`name="next" value="([^"]*)"`)

// TestAHostileNextSignsInAndStaysOnTheSite follows the sign-in form as a
// browser does: GET /login?next=… puts next in a hidden field, the form
// posts it back. A next that a browser could read as another host (tabs and
// newlines are stripped by browsers, backslashes read as slashes) still signs
// in, to the role's home; a path on the site lands where it asked.
func TestAHostileNextSignsInAndStaysOnTheSite(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	cases := []struct {
		rawQuery string // as it appears in ?next=
		want     string // where the buyer lands
	}{
		{"/%09/evil.example/x", "/orders"},
		{"/%09%09/evil.example", "/orders"},
		{"//evil.example", "/orders"},
		{"/%5Cevil.example", "/orders"},
		{"/%5C%5Cevil.example", "/orders"},
		{"%5C%5Cevil.example", "/orders"},
		{"https://evil.example", "/orders"},
		{"https:/evil.example", "/orders"},
		{"%2f%2fevil.example", "/orders"},
		{"/%0a/evil.example", "/orders"},
		{"/%0d%0aSet-Cookie:x=1", "/orders"},
		{"/%7f/evil.example", "/orders"},
		{"/%2509/evil.example", "/orders"}, // a control character once the browser decodes the path
		{"/%250a/evil.example", "/orders"},
		{"/orders%5C..%5C..%5Cevil", "/orders"},
		{"javascript:alert(1)", "/orders"},
		{"JaVaScRiPt:alert(1)", "/orders"},
		{"/%00", "/orders"},
		{"", "/orders"},
		{"/", "/orders"},
		{"/catalogue%3Fmarket%3DUK%26all%3Dtrue", "/catalogue?market=UK&all=true"},
		{"/products%3Fq%3Dcaf%25C3%25A9", "/products?q=caf%C3%A9"},
		{"/waivers", "/waivers"},
		{fmt.Sprintf("/orders/%d", w.orderA), fmt.Sprintf("/orders/%d", w.orderA)},
	}
	for _, tc := range cases {
		t.Run(tc.rawQuery, func(t *testing.T) {
			decoded, err := url.QueryUnescape(tc.rawQuery)
			if err != nil {
				t.Fatal(err)
			}
			form := w.request("", "GET", "/login?next="+tc.rawQuery, nil)
			var csrf *http.Cookie
			for _, c := range form.Result().Cookies() {
				if c.Name == "cascade_login_csrf" {
					csrf = c
				}
			}
			m := nextField.FindStringSubmatch(form.Body.String())
			if form.Code != ok || csrf == nil || m == nil {
				t.Fatalf("login form: %d, cookie %v, next field %v", form.Code, csrf, m)
			}
			// What the browser posts back (the form's hidden field), and what an
			// attacker's own page could post: the decoded value itself.
			for _, next := range []string{html.UnescapeString(m[1]), decoded} {
				body := url.Values{"csrf": {csrf.Value}, "email": {"buyer@test.example"}, "password": {password}, "next": {next}}
				req := httptest.NewRequest("POST", "/login", strings.NewReader(body.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := w.serveFrom(req, "", []*http.Cookie{csrf})
				if rec.Code != seeOther || sessionSet(rec) == "" {
					t.Fatalf("next %q: %d, session %q: it must still sign in", next, rec.Code, sessionSet(rec))
				}
				if got := rec.Header().Get("Location"); got != tc.want {
					t.Fatalf("next %q lands on %q, want %q", next, got, tc.want)
				}
			}
		})
	}
}

// TestBannersShowOnlyFixedMessagesNamedByKey: a URL names a message by a
// key, never carries its text; errors are shown as errors (role=alert),
// successes as status (role=status); an unknown key shows nothing.
func TestBannersShowOnlyFixedMessagesNamedByKey(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	b := w.browse("buyer")
	const hostile = "Your session expired: sign in again at evil.example"
	for _, q := range []string{"msg=", "flash=", "notice=", "error="} {
		rec := b.get("/orders?" + q + url.QueryEscape(hostile))
		if rec.Code != ok || strings.Contains(rec.Body.String(), "evil.example") || strings.Contains(rec.Body.String(), `class="flash`) {
			t.Fatalf("?%s: %d; the page shows text from the URL or a banner:\n%s", q, rec.Code, banner(rec.Body.String()))
		}
	}
	for _, tc := range []struct{ key, text, kind string }{
		{"order-created", "Order created", "success"},
		{"order-submitted", "Order submitted for approval.", "success"},
		{"order-blocked", "The order was not moved", "error"},
		{"waiver-approved", "Waiver approved.", "success"},
		{"waiver-refused", "Waiver refused.", "success"},
		{"refresh-failed", "Refresh failed", "error"},
		{"signed-out", "You are signed out.", "success"},
	} {
		rec := b.get("/orders?notice=" + tc.key)
		want := `<p class="flash success" role="status">` + tc.text
		if tc.kind == "error" {
			want = `<p class="flash error" role="alert">` + tc.text
		}
		if got := banner(rec.Body.String()); !strings.Contains(got, want) || strings.Count(rec.Body.String(), `class="flash`) != 1 {
			t.Errorf("notice %s: banner %q, want it to start %q", tc.key, got, want)
		}
	}
	if rec := b.get("/orders?notice=no-such-notice"); strings.Contains(rec.Body.String(), `class="flash`) {
		t.Errorf("an unknown key shows a banner: %s", banner(rec.Body.String()))
	}
}

// TestABlockedOrderSaysSoInAnErrorBanner follows the real redirect of a
// submit that the gate refuses: its message is an alert, not a success.
func TestABlockedOrderSaysSoInAnErrorBanner(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	b := w.browse("buyer")
	rec := b.post(fmt.Sprintf("/orders/%d/submit", w.orderB), url.Values{"csrf": {b.csrf}, "version": {fmt.Sprint(w.version(w.orderB))}})
	loc := rec.Header().Get("Location")
	if rec.Code != seeOther || strings.Contains(loc, "msg=") || strings.Contains(loc, "not+moved") || strings.Contains(loc, "not%20moved") {
		t.Fatalf("submit of a blocked order: %d to %q (the URL must name the message, not carry it)", rec.Code, loc)
	}
	got := banner(b.get(loc).Body.String())
	if !strings.Contains(got, `class="flash error" role="alert"`) || !strings.Contains(got, "not moved") {
		t.Fatalf("the refusal is not an alert: %q", got)
	}
	rec = b.post("/orders", url.Values{"csrf": {b.csrf}, "reference": {"PO-banner"}, "market": {"UK"}})
	if got := banner(b.get(rec.Header().Get("Location")).Body.String()); !strings.Contains(got, `class="flash success" role="status"`) {
		t.Fatalf("order created: banner %q", got)
	}
}

func banner(body string) string {
	i := strings.Index(body, `<p class="flash`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</p>")
	return body[i : i+j]
}

// TestAMistypedWaiverActionIsA404AndChangesNothing: only approve and
// refuse decide a waiver from its page; any other action is a 404 and the
// waiver stays requested.
func TestAMistypedWaiverActionIsA404AndChangesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		b := w.browse("approver")
		status := func(id int64) string {
			var s string
			w.db.Raw("SELECT status FROM waivers WHERE id = ?", id).Scan(&s)
			return s
		}
		for _, action := range []string{"approv", "refused", "APPROVE", "approve ", "reject", "delete", "approve/x"} {
			rec := b.post(fmt.Sprintf("/waivers/%d/%s", w.waiverA, strings.ReplaceAll(action, " ", "%20")), url.Values{"csrf": {b.csrf}, "note": {"typo"}})
			if rec.Code != notFound || status(w.waiverA) != "requested" {
				t.Fatalf("POST /waivers/%d/%s: %d, waiver now %q; want 404 and still requested", w.waiverA, action, rec.Code, status(w.waiverA))
			}
		}
		if rec := b.post(fmt.Sprintf("/waivers/%d/approve", w.waiverA), url.Values{"csrf": {b.csrf}}); rec.Code != seeOther || status(w.waiverA) != "approved" {
			t.Fatalf("approve: %d, %s", rec.Code, status(w.waiverA))
		}
		if rec := b.post(fmt.Sprintf("/waivers/%d/refuse", w.waiverB), url.Values{"csrf": {b.csrf}, "note": {"a labelled product fits"}}); rec.Code != seeOther || status(w.waiverB) != "refused" {
			t.Fatalf("refuse: %d, %s", rec.Code, status(w.waiverB))
		}
	})
}

// syncBuffer is a log sink the import's goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// failProductWrites makes every write of a product fail inside the
// database, with the words a full disk uses.
func failProductWrites(t *testing.T, db *gorm.DB) {
	t.Helper()
	stmts := []string{`CREATE TRIGGER fail_product_writes BEFORE INSERT ON products BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`}
	if db.Dialector.Name() == "postgres" {
		stmts = []string{
			`CREATE FUNCTION fail_product_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file "base/16384/2619": No space left on device' USING ERRCODE = '53100'; END $$`,
			`CREATE TRIGGER fail_product_writes BEFORE INSERT ON products FOR EACH ROW EXECUTE FUNCTION fail_product_writes()`,
		}
	}
	for _, s := range stmts {
		if err := db.Exec(s).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// TestAFailedImportNeverShowsTheDatabasesErrorText: when the database fails
// an import, the batch says INTERNAL with a safe message quoting the
// request id, in the API and on the page; the driver's words go to the log,
// with that request id, and nowhere else.
func TestAFailedImportNeverShowsTheDatabasesErrorText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		logs := &syncBuffer{}
		w.srv.Drain(context.Background())
		w.srv = web.New(db, slog.New(slog.NewJSONHandler(logs, nil)))
		t.Cleanup(func() { w.srv.Drain(context.Background()) })
		failProductWrites(t, db)
		driverWords := []string{"disk is full", "No space left", "SQLSTATE", "53100", "sqlite", "base/16384", "store rows", "commit"}

		for _, wait := range []bool{false, true} {
			csv := fmt.Sprintf("sku,gtin,brand,model,category,markets\nF-%v,5901234123457,Acme,M,smart_plug,UK\n", wait)
			rec := w.request("supplier", "POST", fmt.Sprintf("/api/v1/imports?wait=%v", wait), []byte(csv), "Content-Type", "text/csv")
			reqID := rec.Header().Get("X-Request-Id")
			var up struct {
				Import struct{ ID int64 } `json:"import"`
			}
			if wait {
				if rec.Code != http.StatusInternalServerError || errorCode(t, rec) != "INTERNAL" {
					t.Fatalf("wait=true: %d %s", rec.Code, rec.Body.String())
				}
				w.db.Raw("SELECT MAX(id) FROM import_batches").Scan(&up.Import.ID)
			} else if rec.Code != http.StatusAccepted || json.Unmarshal(rec.Body.Bytes(), &up) != nil {
				t.Fatalf("upload: %d %s", rec.Code, rec.Body.String())
			}
			var batch struct {
				Import struct{ Status, Error string } `json:"import"`
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				got := w.request("supplier", "GET", fmt.Sprintf("/api/v1/imports/%d", up.Import.ID), nil)
				if err := json.Unmarshal(got.Body.Bytes(), &batch); err != nil || got.Code != ok {
					t.Fatalf("batch: %d %s", got.Code, got.Body.String())
				}
				if batch.Import.Status != "running" || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			page := w.browse("supplier").get(fmt.Sprintf("/supplier/imports/%d", up.Import.ID)).Body.String()
			if batch.Import.Status != "failed" || !strings.HasPrefix(batch.Import.Error, "INTERNAL: ") || !strings.Contains(batch.Import.Error, reqID) {
				t.Fatalf("wait=%v: batch %+v, want failed with INTERNAL and request id %s", wait, batch.Import, reqID)
			}
			for _, words := range driverWords {
				if strings.Contains(strings.ToLower(batch.Import.Error), strings.ToLower(words)) || strings.Contains(page, words) {
					t.Fatalf("wait=%v: the driver's text %q reaches the supplier: %q", wait, words, batch.Import.Error)
				}
			}
			if !strings.Contains(page, html.EscapeString(batch.Import.Error)) {
				t.Fatalf("the page does not show the batch's error %q", batch.Import.Error)
			}
			logged := false
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, `"request_id":"`+reqID+`"`) && (strings.Contains(line, "disk is full") || strings.Contains(line, "No space left")) {
					logged = true
				}
			}
			if !logged {
				t.Fatalf("wait=%v: the cause is not logged with request id %s:\n%s", wait, reqID, logs.String())
			}
		}
	})
}

// TestAURLCannotPlantATokenOnTheUsersPage: the users page shows "your new
// API token" only in the answer to creating one, never a value from a link
// (an admin could be led to copy an attacker's token into their tooling).
func TestAURLCannotPlantATokenOnTheUsersPage(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	b := w.browse("admin")
	if rec := b.get("/admin/users?token=cas_planted_by_attacker"); rec.Code != ok || strings.Contains(rec.Body.String(), "planted_by_attacker") {
		t.Fatalf("%d: the page shows a token from the URL", rec.Code)
	}
	rec := b.post("/admin/tokens", url.Values{"csrf": {b.csrf}, "name": {"ci"}, "ttl_days": {"30"}})
	if rec.Code != created || !strings.Contains(rec.Body.String(), `id="new-token"`) || !strings.Contains(banner(rec.Body.String()), "Token created") {
		t.Fatalf("creating a token: %d %s", rec.Code, banner(rec.Body.String()))
	}
}

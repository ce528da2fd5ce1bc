package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// postMultipart sends a file form as a browser does: the CSRF token is a
// form field before the file, never in the address.
func (b *webSession) postMultipart(path string, fields url.Values, file, name string, content []byte) *httptest.ResponseRecorder {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(file, name)
	fw.Write(content)
	mw.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(b.cookie)
	rec := httptest.NewRecorder()
	b.w.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// A form that fails comes back as the same form: the error in an alert
// banner and next to the field it is about, what was typed still there,
// and no dead-end error page whose only way on is "Back" to /.
func TestEveryFormThatFailsComesBackWithTheErrorNextToItsFieldAndTheInputKept(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	far := time.Now().AddDate(2, 0, 0).Format("2006-01-02")
	soon := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	justification := "Replacement door entry units for the library: nothing labelled fits the wiring."
	cases := []struct {
		name, role, path string
		form             url.Values
		status           int
		errorID          string   // the id of the message next to the field
		kept             []string // what must still be in the form
	}{
		{"a waiver expiring too late", "buyer", "/waivers", url.Values{"gtin": {"00012345600012"}, "market": {"UK"}, "codes": {"LABEL_REQUIRED"},
			"justification": {justification}, "expires_on": {far}, "order": {fmt.Sprint(w.orderB)}}, 400, "w-expires-error",
			[]string{justification, far, `name="order" value="` + fmt.Sprint(w.orderB) + `"`}},
		{"a waiver without justification", "buyer", "/waivers", url.Values{"gtin": {"00012345600012"}, "market": {"UK"}, "codes": {"LABEL_REQUIRED"},
			"justification": {"too short"}, "expires_on": {soon}}, 400, "w-justification-error", []string{"too short", soon}},
		{"a waiver for an unknown GTIN", "buyer", "/waivers", url.Values{"gtin": {"96385074"}, "market": {"UK"}, "codes": {"LABEL_REQUIRED"},
			"justification": {justification}, "expires_on": {soon}}, 404, "w-gtin-error", []string{justification}},
		{"an order without a reference", "buyer", "/orders", url.Values{"reference": {"  "}, "market": {"EU"}}, 400, "reference-error", []string{`<option selected>EU</option>`}},
		{"a line with a bad price", "buyer", fmt.Sprintf("/orders/%d/lines", w.orderA), url.Values{"version": {fmt.Sprint(w.version(w.orderA))}, "gtin": {"00012345600012"},
			"quantity": {"4"}, "unit_price": {"12,50"}, "currency": {"GBP"}, "delivery_date": {soon}}, 400, "unit_price-error", []string{`value="12,50"`, `value="4"`, soon}},
		{"a line with a GTIN nobody sells", "buyer", fmt.Sprintf("/orders/%d/lines", w.orderA), url.Values{"version": {fmt.Sprint(w.version(w.orderA))}, "gtin": {"96385074"},
			"quantity": {"2"}, "delivery_date": {soon}}, 404, "gtin-error", []string{`value="96385074"`}},
		{"a refusal without a reason", "approver", fmt.Sprintf("/waivers/%d/refuse", w.waiverB), url.Values{"note": {"  "}}, 400,
			fmt.Sprintf("reason-%d-error", w.waiverB), nil},
		{"an approval extending the expiry", "approver", fmt.Sprintf("/waivers/%d/approve", w.waiverA), url.Values{"expires_on": {far}, "note": {"ok"}}, 400,
			fmt.Sprintf("expires-%d-error", w.waiverA), []string{far}},
		{"a user with a weak password", "admin", "/admin/users", url.Values{"email": {"new@test.example"}, "name": {"Nia"}, "role": {"buyer"},
			"organisation": {"Test Council"}, "password": {"short"}}, 400, "u-password-error", []string{`value="new@test.example"`, `value="Nia"`, `<option selected>buyer</option>`}},
		{"a token living too long", "admin", "/admin/tokens", url.Values{"name": {"erp"}, "ttl_days": {"9999"}}, 400, "t-days-error", []string{`value="erp"`, `value="9999"`}},
		{"a supplier without a name", "admin", "/admin/suppliers", url.Values{"name": {" "}}, 400, "s-name-error", nil},
		{"a source with a bad schedule", "admin", "/admin/sources", url.Values{"scheme": {"SG-CLS"}, "url": {"https://registry.example/sg.csv"}, "schedule": {"every day"}}, 400,
			"src-schedule-error", []string{`value="https://registry.example/sg.csv"`, `value="every day"`}},
		{"activating without the confirmation", "admin", "/admin/policies/2099-candidate/activate", url.Values{}, 400, "confirm-error", nil},
		{"activating with another version's confirmation", "admin", "/admin/policies/2099-candidate/activate", url.Values{"confirm": {w.policyVersion}}, 400, "confirm-error", nil},
	}
	admin := access.With(context.Background(), w.users["admin"].Principal())
	if _, err := policy.NewStore(w.db).Upload(admin, policyVersion("2099-candidate")); err != nil {
		t.Fatal(err)
	}
	sessions := map[string]*webSession{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := sessions[c.role]
			if b == nil {
				b = w.browse(c.role)
				sessions[c.role] = b
			}
			c.form.Set("csrf", b.csrf)
			rec := b.post(c.path, c.form)
			body := rec.Body.String()
			if rec.Code != c.status {
				t.Fatalf("%d, want %d: %s", rec.Code, c.status, body)
			}
			if c.errorID == "" {
				return
			}
			if strings.Contains(body, "That did not work") || !strings.Contains(body, `class="flash error" role="alert"`) {
				t.Fatalf("not the form again with an alert: %s", body)
			}
			if !strings.Contains(body, `id="`+c.errorID+`"`) || !strings.Contains(body, `aria-describedby="`+c.errorID+`"`) {
				t.Errorf("no message next to the field (%s): %s", c.errorID, body)
			}
			for _, k := range c.kept {
				if !strings.Contains(body, k) {
					t.Errorf("the form lost %q", k)
				}
			}
		})
	}
	// A policy file that is no policy: the upload form again, with every problem listed.
	b := w.browse("admin")
	rec := b.postMultipart("/admin/policies", url.Values{"csrf": {b.csrf}}, "document", "policy.json", []byte(`{"version":"x","rules":[{"code":"A","kind":"nonsense"}]}`))
	if body := rec.Body.String(); rec.Code != 400 || !strings.Contains(body, `id="document-error"`) || !strings.Contains(body, `id="policy-problems"`) || strings.Contains(body, "That did not work") {
		t.Fatalf("bad policy upload: %d %s", rec.Code, body)
	}
}

// The policy upload carries its CSRF token as a form field: the token never
// reaches the address bar, the history or a proxy's log. A forged token is
// still refused.
func TestThePolicyUploadKeepsItsCSRFTokenOutOfTheAddress(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	b := w.browse("admin")
	page := b.get("/admin/policies").Body.String()
	if strings.Contains(page, "csrf="+b.csrf) || !strings.Contains(page, `action="/admin/policies" enctype="multipart/form-data"`) {
		t.Fatalf("the upload form puts the token in its action: %s", page)
	}
	if rec := b.postMultipart("/admin/policies", url.Values{"csrf": {"forged"}}, "document", "p.json", policyVersion("2099-forged")); rec.Code != 403 {
		t.Fatalf("forged token: %d", rec.Code)
	}
	rec := b.postMultipart("/admin/policies", url.Values{"csrf": {b.csrf}}, "document", "p.json", policyVersion("2099-01"))
	if rec.Code != 303 || rec.Header().Get("Location") != "/admin/policies/review?version=2099-01&notice=policy-stored" {
		t.Fatalf("upload: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}

// Failures look like failures: each error path's banner is an alert
// (red, announced by screen readers at once), never the green status.
func TestEveryErrorPathShowsAnAlertNotASuccessBanner(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	cases := []struct {
		name, role, path string
		form             url.Values
		text             string
	}{
		{"a blocked order is not submitted", "buyer", fmt.Sprintf("/orders/%d/submit", w.orderB), url.Values{"version": {fmt.Sprint(w.version(w.orderB))}}, "The order was not moved"},
		{"a registry source that does not answer", "admin", fmt.Sprintf("/admin/sources/%d/refresh", w.source), url.Values{}, "Refresh failed"},
		{"a stale order version", "buyer", fmt.Sprintf("/orders/%d/cancel", w.orderC), url.Values{"version": {"999"}}, "changed by someone else"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := w.browse(c.role)
			c.form.Set("csrf", b.csrf)
			rec := b.post(c.path, c.form)
			if rec.Code == 303 {
				rec = b.get(rec.Header().Get("Location"))
			}
			body := rec.Body.String()
			alert := strings.Index(body, `<p class="flash error" role="alert">`)
			if alert < 0 || !strings.Contains(body[alert:], c.text) || strings.Contains(body, `role="status"`) {
				t.Fatalf("want %q in an alert and no status banner: %s", c.text, body)
			}
		})
	}
}

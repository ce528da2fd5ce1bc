package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/procurement"
)

// roles in the order of the matrix columns; "" is an anonymous caller.
var matrixRoles = []string{"", "admin", "category_manager", "buyer", "approver", "supplier"}

// expect lists the status for each of matrixRoles.
type expect [6]int

const (
	ok       = http.StatusOK
	created  = http.StatusCreated
	noBody   = http.StatusNoContent
	unauth   = http.StatusUnauthorized
	forbid   = http.StatusForbidden
	notFound = http.StatusNotFound
	conflict = http.StatusConflict
	seeOther = http.StatusSeeOther
	invalid  = http.StatusBadRequest
)

// w builds a path from an id the world holds.
func w(id func(*world) int64, format string) func(*world) string {
	return func(wd *world) string { return fmt.Sprintf(format, id(wd)) }
}

// version is an order's current version, for optimistic locking.
func (wd *world) version(orderID int64) int {
	var v int
	wd.db.Raw("SELECT version FROM purchase_orders WHERE id = ?", orderID).Scan(&v)
	return v
}

type routeCase struct {
	method, route string                          // as registered with gin
	path          func(w *world) string           // the concrete path to call
	body          func(w *world, role string) any // nil for none; url.Values for a page's form
	headers       []string
	page          bool // called with each role's browser session, not its API token
	public        bool // a page anyone may see (public cards on): an API token is answered as anonymous
	want          expect
}

// form is a page form's fields, as name, value pairs.
func form(pairs ...string) func(*world, string) any {
	return func(*world, string) any {
		v := url.Values{}
		for i := 0; i+1 < len(pairs); i += 2 {
			v.Set(pairs[i], pairs[i+1])
		}
		return v
	}
}

// multipartFile is a multipart body with one file field.
type multipartFile struct {
	body []byte
	ct   string
}

func fileField(field, name string, content []byte) multipartFile {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(content)
	mw.Close()
	return multipartFile{buf.Bytes(), mw.FormDataContentType()}
}

// pageRequest sends a page request with role's browser session ("" = none);
// unsafe methods carry the session's CSRF token in its header.
func (w *world) pageRequest(sessions map[string]*webSession, role, method, path string, body any, headers ...string) *httptest.ResponseRecorder {
	w.t.Helper()
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		r, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case []byte:
		r = bytes.NewReader(b)
	case multipartFile:
		r, ct = bytes.NewReader(b.body), b.ct
	default:
		w.t.Fatalf("page body %T", body)
	}
	req := httptest.NewRequest(method, path, r)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if role != "" {
		b := sessions[role]
		if b == nil {
			b = w.browse(role)
			sessions[role] = b
		}
		req.AddCookie(b.cookie)
		req.Header.Set(web.CSRFHeader, b.csrf)
	}
	rec := httptest.NewRecorder()
	w.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func fixed(p string) func(*world) string { return func(*world) string { return p } }

func routeMatrix() []routeCase {
	everyone := expect{ok, ok, ok, ok, ok, ok}
	users := expect{unauth, ok, ok, ok, ok, ok}
	adminOnly := expect{unauth, ok, forbid, forbid, forbid, forbid}
	importReaders := expect{unauth, ok, ok, forbid, forbid, ok}
	orderReaders := expect{unauth, ok, forbid, ok, ok, forbid}
	toLogin := expect{seeOther, seeOther, seeOther, seeOther, seeOther, seeOther}
	// Pages: anonymous callers are sent to sign in (303).
	supplierPage := expect{seeOther, forbid, forbid, forbid, forbid, ok}
	supplierPage303 := expect{seeOther, forbid, forbid, forbid, forbid, seeOther}
	managerPage := expect{seeOther, ok, ok, forbid, forbid, forbid}
	orderPage := expect{seeOther, ok, forbid, ok, ok, forbid}
	buyerPage303 := expect{seeOther, forbid, forbid, seeOther, forbid, forbid}
	adminPage := expect{seeOther, ok, forbid, forbid, forbid, forbid}
	adminPage303 := expect{seeOther, seeOther, forbid, forbid, forbid, forbid}
	importReadersNotB := expect{unauth, ok, ok, forbid, forbid, notFound}
	disputeDeciders := expect{unauth, ok, ok, forbid, forbid, forbid}
	return []routeCase{
		{method: "GET", route: "/healthz", path: fixed("/healthz"), want: everyone},
		{method: "GET", route: "/readyz", path: fixed("/readyz"), want: everyone},
		{method: "GET", route: "/metrics", path: fixed("/metrics"), want: everyone},
		{method: "GET", route: "/", path: fixed("/"), want: everyone},
		{method: "GET", route: "/static/*filepath", path: fixed("/static/cascade.css"), want: everyone},
		{method: "HEAD", route: "/static/*filepath", path: fixed("/static/cascade.js"), want: everyone},
		{method: "GET", route: "/login", path: fixed("/login"), want: everyone},
		// The API's documentation is public, as documentation is.
		{method: "GET", route: "/api/docs", path: fixed("/api/docs"), want: everyone},
		// Unsubscribing: the signed link is the credential, whoever follows it;
		// a link whose signature is wrong is refused for everyone.
		{method: "GET", route: "/unsubscribe", path: fixed("/unsubscribe?u=1&t=forged"), want: everyone},
		{method: "POST", route: "/unsubscribe", path: fixed("/unsubscribe?u=1&t=forged"), want: expect{invalid, invalid, invalid, invalid, invalid, invalid}},
		{method: "POST", route: "/login", path: fixed("/login"), want: expect{forbid, forbid, forbid, forbid, forbid, forbid}}, // no CSRF token
		// Pages, each role with a real browser session (cookie and CSRF token);
		// anonymous callers, and API tokens, are sent to sign in.
		{method: "GET", route: "/supplier", path: fixed("/supplier"), page: true, want: supplierPage},
		{method: "GET", route: "/supplier/products", path: fixed("/supplier/products"), page: true, want: supplierPage},
		// A dry run answers its page (200) and stores nothing; before the
		// upload below, which a dry run would wait for (IMPORT_IN_PROGRESS).
		{method: "POST", route: "/supplier/check", path: fixed("/supplier/check"), page: true,
			body: func(w *world, role string) any {
				return []byte("sku,gtin,brand,model,category,markets\nP-" + role + ",5901234123457,Acme,M,smart_plug,UK\n")
			},
			headers: []string{"Content-Type", "text/csv"}, want: supplierPage},
		{method: "POST", route: "/supplier/upload", path: fixed("/supplier/upload"), page: true,
			body: func(w *world, role string) any {
				return []byte("sku,gtin,brand,model,category,markets\nP-" + role + ",5901234123457,Acme,M,smart_plug,UK\n")
			},
			headers: []string{"Content-Type", "text/csv"}, want: supplierPage303},
		{method: "GET", route: "/supplier/imports/:id", path: w(func(w *world) int64 { return w.batchB }, "/supplier/imports/%d"), page: true,
			want: expect{seeOther, ok, ok, forbid, forbid, notFound}},
		{method: "GET", route: "/suppliers/:id/mapping", path: w(func(w *world) int64 { return w.supplierA.ID }, "/suppliers/%d/mapping"), page: true,
			want: expect{seeOther, ok, ok, forbid, forbid, ok}},
		{method: "GET", route: "/suppliers/:id/mapping", path: w(func(w *world) int64 { return w.supplierB.ID }, "/suppliers/%d/mapping"), page: true,
			want: expect{seeOther, ok, ok, forbid, forbid, notFound}},
		{method: "POST", route: "/suppliers/:id/mapping", path: w(func(w *world) int64 { return w.supplierA.ID }, "/suppliers/%d/mapping"), page: true,
			body: form("header", "Unsere Nr.", "column", "sku"), want: expect{seeOther, seeOther, seeOther, forbid, forbid, seeOther}},
		{method: "GET", route: "/dashboard", path: fixed("/dashboard"), page: true, want: managerPage},
		{method: "GET", route: "/products", path: fixed("/products?verdict=blocked&market=UK"), page: true, want: managerPage},
		{method: "GET", route: "/upcoming", path: fixed("/upcoming?month=2027-01&code=SUPPORT_ENDED"), page: true, want: managerPage},
		{method: "GET", route: "/products/:id", path: w(func(w *world) int64 { return w.productB }, "/products/%d"), page: true,
			want: expect{seeOther, ok, ok, ok, ok, notFound}},
		{method: "GET", route: "/products/:id", path: w(func(w *world) int64 { return w.productA }, "/products/%d"), page: true,
			want: expect{seeOther, ok, ok, ok, ok, ok}},
		{method: "GET", route: "/listings", path: fixed("/listings"), page: true, want: managerPage},
		{method: "GET", route: "/impact", path: fixed("/impact?as_of=2027-01-04"), page: true, want: managerPage},
		{method: "GET", route: "/schemes", path: fixed("/schemes"), page: true, want: managerPage},
		// Security facts, cards behind sign-in (the default): every signed-in user, a supplier
		// only of its own products (B-1 is supplier B's); anonymous callers sign in first.
		// With public cards on: publicFactsMatrix.
		{method: "GET", route: "/facts/:gtin", path: fixed("/facts/00012345600012?market=UK"), page: true, want: expect{seeOther, ok, ok, ok, ok, notFound}},
		{method: "GET", route: "/facts/:gtin/badge.svg", path: fixed("/facts/00012345600012/badge.svg?market=UK"), page: true, want: expect{seeOther, ok, ok, ok, ok, notFound}},
		{method: "GET", route: "/disputes", path: fixed("/disputes"), page: true, want: managerPage},
		{method: "GET", route: "/disputes", path: fixed("/disputes?status=all"), page: true, want: managerPage},
		// The admin decides first, so the manager finds it decided (as on the API).
		{method: "POST", route: "/disputes/:id/accept", path: w(func(w *world) int64 { return w.dispute }, "/disputes/%d/accept"), page: true,
			body: form("note", "the same product"), want: expect{seeOther, seeOther, conflict, forbid, forbid, forbid}},
		{method: "POST", route: "/disputes/:id/reject", path: w(func(w *world) int64 { return w.dispute }, "/disputes/%d/reject"), page: true,
			body: form("note", "not the maker's data"), want: expect{seeOther, seeOther, conflict, forbid, forbid, forbid}},
		{method: "GET", route: "/orders", path: fixed("/orders"), page: true, want: orderPage},
		{method: "POST", route: "/orders", path: fixed("/orders"), page: true,
			body: func(w *world, role string) any { return url.Values{"reference": {"PO-page-" + role}, "market": {"UK"}} },
			want: buyerPage303},
		{method: "GET", route: "/orders/:id", path: w(func(w *world) int64 { return w.orderB }, "/orders/%d"), page: true, want: orderPage},
		{method: "POST", route: "/orders/:id/lines", path: w(func(w *world) int64 { return w.orderA }, "/orders/%d/lines"), page: true,
			body: func(w *world, _ string) any {
				return url.Values{"version": {fmt.Sprint(w.version(w.orderA))}, "gtin": {"00012345600012"}, "quantity": {"2"}, "delivery_date": {"2030-01-15"}}
			},
			want: buyerPage303},
		// Its line is blocked: the buyer is sent back with the gate's notice.
		{method: "POST", route: "/orders/:id/:action", path: w(func(w *world) int64 { return w.orderB }, "/orders/%d/submit"), page: true,
			body: func(w *world, _ string) any { return url.Values{"version": {fmt.Sprint(w.version(w.orderB))}} },
			want: buyerPage303},
		// SPEC §1: the procurement catalogue is the buyers' (and their approvers' and admins'), on the page and in the API.
		{method: "GET", route: "/catalogue", path: fixed("/catalogue?market=UK&all=true"), page: true, want: orderPage},
		{method: "GET", route: "/waivers", path: fixed("/waivers"), page: true, want: orderPage},
		{method: "POST", route: "/waivers", path: fixed("/waivers"), page: true,
			body: func(w *world, _ string) any {
				return url.Values{"gtin": {"00012345600012"}, "market": {"UK"}, "codes": {"LABEL_REQUIRED"},
					"justification": {"Needed for the council's accessibility pilot."}, "expires_on": {time.Now().AddDate(0, 1, 0).Format("2006-01-02")}}
			},
			want: buyerPage303},
		{method: "POST", route: "/waivers/:id/approve", path: w((*world).freshWaiver, "/waivers/%d/approve"), page: true,
			body: form("note", "ok"), want: expect{seeOther, forbid, forbid, forbid, seeOther, forbid}},
		{method: "POST", route: "/waivers/:id/refuse", path: w((*world).freshWaiver, "/waivers/%d/refuse"), page: true,
			body: form("note", "no"), want: expect{seeOther, forbid, forbid, forbid, seeOther, forbid}},
		{method: "GET", route: "/admin/users", path: fixed("/admin/users"), page: true, want: adminPage},
		{method: "POST", route: "/admin/users", path: fixed("/admin/users"), page: true,
			body: func(w *world, role string) any {
				return url.Values{"email": {"page-by-" + role + "@test.example"}, "role": {"category_manager"}, "password": {"a long enough password"}}
			},
			want: adminPage303},
		{method: "POST", route: "/admin/tokens", path: fixed("/admin/tokens"), page: true, body: form("name", "ci"),
			want: expect{seeOther, created, forbid, forbid, forbid, forbid}},
		{method: "GET", route: "/admin/suppliers", path: fixed("/admin/suppliers"), page: true, want: adminPage},
		{method: "POST", route: "/admin/suppliers", path: fixed("/admin/suppliers"), page: true,
			body: func(w *world, role string) any { return url.Values{"name": {"Page supplier by " + role}} }, want: adminPage303},
		{method: "GET", route: "/admin/registries", path: fixed("/admin/registries"), page: true, want: adminPage},
		{method: "POST", route: "/admin/registries/upload", path: fixed("/admin/registries/upload?scheme=US-CTM"), page: true,
			body:    func(*world, string) any { return []byte("label_id,brand,model,status\nCTM-1,Brand,M-1,valid\n") },
			headers: []string{"Content-Type", "text/csv"}, want: adminPage303},
		{method: "POST", route: "/admin/sources", path: fixed("/admin/sources"), page: true,
			body: func(*world, string) any {
				return url.Values{"scheme": {"SG-CLS"}, "url": {"https://registry.example/sg.csv"}, "schedule": {"0 3 * * *"}}
			},
			want: adminPage303},
		// The source does not answer: the admin is sent back with the failure's notice.
		{method: "POST", route: "/admin/sources/:id/refresh", path: w(func(w *world) int64 { return w.source }, "/admin/sources/%d/refresh"), page: true,
			body: form(), want: adminPage303},
		{method: "GET", route: "/admin/policies", path: fixed("/admin/policies"), page: true, want: adminPage},
		{method: "POST", route: "/admin/policies", path: fixed("/admin/policies"), page: true,
			body: func(w *world, role string) any {
				return fileField("document", "policy.json", policyVersion("page-by-"+role))
			},
			want: adminPage303},
		{method: "GET", route: "/admin/policies/review", path: func(w *world) string { return "/admin/policies/review?version=" + w.policyVersion }, page: true, want: adminPage},
		// Activation needs its confirmation, the version typed back (the review page's checkbox).
		{method: "POST", route: "/admin/policies/:version/activate", path: func(w *world) string { return "/admin/policies/" + w.policyVersion + "/activate" }, page: true,
			body: func(w *world, _ string) any { return url.Values{"confirm": {w.policyVersion}} }, want: adminPage303},
		{method: "GET", route: "/admin/audit", path: fixed("/admin/audit"), page: true, want: adminPage},
		// Last: it ends the session it is sent with (each role's own session for this row).
		{method: "POST", route: "/logout", path: fixed("/logout"), page: true, body: form(), want: toLogin},
		{method: "POST", route: "/api/v1/session", path: fixed("/api/v1/session"),
			body: func(w *world, role string) any {
				return map[string]string{"email": role + "@test.example", "password": "wrong password!"}
			},
			want: expect{unauth, unauth, unauth, unauth, unauth, unauth}},
		{method: "GET", route: "/api/v1/openapi.json", path: fixed("/api/v1/openapi.json"), want: everyone},
		{method: "DELETE", route: "/api/v1/session", path: fixed("/api/v1/session"), want: expect{unauth, noBody, noBody, noBody, noBody, noBody}},
		{method: "GET", route: "/api/v1/me", path: fixed("/api/v1/me"), want: users},
		{method: "GET", route: "/api/v1/users", path: fixed("/api/v1/users"), want: adminOnly},
		{method: "POST", route: "/api/v1/users", path: fixed("/api/v1/users"),
			body: func(w *world, role string) any {
				return map[string]any{"email": "new-by-" + role + "@test.example", "role": "category_manager", "password": "a long enough password"}
			},
			want: expect{unauth, created, forbid, forbid, forbid, forbid}},
		{method: "GET", route: "/api/v1/users/:id", path: func(w *world) string { return fmt.Sprintf("/api/v1/users/%d", w.users["admin"].ID) },
			want: expect{unauth, ok, notFound, notFound, notFound, notFound}},
		{method: "DELETE", route: "/api/v1/users/:id", path: func(w *world) string { return fmt.Sprintf("/api/v1/users/%d", w.victim()) },
			want: expect{unauth, noBody, forbid, forbid, forbid, forbid}},
		{method: "GET", route: "/api/v1/tokens", path: fixed("/api/v1/tokens"), want: users},
		{method: "POST", route: "/api/v1/tokens", path: fixed("/api/v1/tokens"),
			body: func(*world, string) any { return map[string]any{"name": "ci"} },
			want: expect{unauth, created, created, created, created, created}},
		{method: "DELETE", route: "/api/v1/tokens/:id", path: func(w *world) string { return fmt.Sprintf("/api/v1/tokens/%d", w.spareAdminToken()) },
			want: expect{unauth, noBody, notFound, notFound, notFound, notFound}},
		{method: "GET", route: "/api/v1/suppliers", path: fixed("/api/v1/suppliers"), want: users},
		{method: "POST", route: "/api/v1/suppliers", path: fixed("/api/v1/suppliers"),
			body: func(w *world, role string) any { return map[string]string{"name": "New supplier by " + role} },
			want: expect{unauth, created, forbid, forbid, forbid, forbid}},
		{method: "GET", route: "/api/v1/suppliers/:id", path: func(w *world) string { return fmt.Sprintf("/api/v1/suppliers/%d", w.supplierB.ID) },
			want: expect{unauth, ok, ok, ok, ok, notFound}},
		{method: "GET", route: "/api/v1/suppliers/:id/mapping", path: func(w *world) string { return fmt.Sprintf("/api/v1/suppliers/%d/mapping", w.supplierB.ID) },
			want: importReadersNotB},
		{method: "GET", route: "/api/v1/suppliers/:id/mapping", path: func(w *world) string { return fmt.Sprintf("/api/v1/suppliers/%d/mapping", w.supplierA.ID) },
			want: importReaders},
		{method: "PUT", route: "/api/v1/suppliers/:id/mapping", path: func(w *world) string { return fmt.Sprintf("/api/v1/suppliers/%d/mapping", w.supplierA.ID) },
			body: func(*world, string) any { return map[string]string{"Unsere Nr.": "sku"} }, want: importReaders},
		{method: "PUT", route: "/api/v1/suppliers/:id/mapping", path: func(w *world) string { return fmt.Sprintf("/api/v1/suppliers/%d/mapping", w.supplierB.ID) },
			body: func(*world, string) any { return map[string]string{"Unsere Nr.": "sku"} }, want: importReadersNotB},
		{method: "GET", route: "/api/v1/products", path: fixed("/api/v1/products"), want: users},
		{method: "GET", route: "/api/v1/products/:id", path: func(w *world) string { return fmt.Sprintf("/api/v1/products/%d", w.productB) },
			want: expect{unauth, ok, ok, ok, ok, notFound}},
		{method: "POST", route: "/api/v1/imports", path: func(w *world) string { return fmt.Sprintf("/api/v1/imports?wait=true&supplier_id=%d", w.supplierA.ID) },
			body: func(w *world, role string) any {
				return []byte("sku,gtin,brand,model,category,markets\nU-" + role + ",5901234123457,Acme,M,smart_plug,UK\n")
			},
			headers: []string{"Content-Type", "text/csv"},
			want:    expect{unauth, created, forbid, forbid, forbid, created}},
		{method: "GET", route: "/api/v1/imports", path: fixed("/api/v1/imports"), want: importReaders},
		{method: "GET", route: "/api/v1/imports/:id", path: func(w *world) string { return fmt.Sprintf("/api/v1/imports/%d", w.batchB) }, want: importReadersNotB},
		{method: "GET", route: "/api/v1/imports/:id/errors", path: func(w *world) string { return fmt.Sprintf("/api/v1/imports/%d/errors", w.batchB) }, want: importReadersNotB},
		{method: "GET", route: "/api/v1/imports/:id/fix.xlsx", path: func(w *world) string { return fmt.Sprintf("/api/v1/imports/%d/fix.xlsx", w.batchB) }, want: importReadersNotB},
		// One row per product with its verdicts: managers search everything, a supplier its own.
		{method: "GET", route: "/api/v1/product-verdicts", path: fixed("/api/v1/product-verdicts?verdict=blocked&market=UK"), want: importReaders},
		{method: "GET", route: "/api/v1/product-verdicts", path: fixed("/api/v1/product-verdicts?format=csv&verdict=blocked"), want: importReaders},
		{method: "GET", route: "/api/v1/blocked-products.xlsx", path: func(w *world) string {
			return fmt.Sprintf("/api/v1/blocked-products.xlsx?supplier_id=%d", w.supplierA.ID)
		},
			want: importReaders},
		{method: "GET", route: "/api/v1/template.xlsx", path: fixed("/api/v1/template.xlsx"), want: users},
		{method: "GET", route: "/api/v1/schemes", path: fixed("/api/v1/schemes"), want: users},
		{method: "GET", route: "/api/v1/schemes/:code/snapshots", path: fixed("/api/v1/schemes/SG-CLS/snapshots"), want: users},
		{method: "GET", route: "/api/v1/schemes/comparison", path: fixed("/api/v1/schemes/comparison?format=csv"), want: disputeDeciders},
		{method: "POST", route: "/api/v1/schemes/:code/snapshots", path: fixed("/api/v1/schemes/US-CTM/snapshots"),
			body:    func(*world, string) any { return []byte("label_id,brand,model,status\nCTM-1,Brand,M-1,valid\n") },
			headers: []string{"Content-Type", "text/csv"},
			want:    expect{unauth, created, forbid, forbid, forbid, forbid}},
		// Recall lists are registries of kind recalls: everyone reads them, admins upload and configure.
		{method: "GET", route: "/api/v1/recalls", path: fixed("/api/v1/recalls"), want: users},
		{method: "GET", route: "/api/v1/facts", path: fixed("/api/v1/facts?gtin=00012345600012&market=UK"), want: expect{unauth, ok, ok, ok, ok, notFound}},
		{method: "POST", route: "/api/v1/recalls/:code/snapshots", path: fixed("/api/v1/recalls/EU-SAFETY-GATE/snapshots"),
			body:    func(*world, string) any { return []byte("recall_id,markets,gtin\nR-1,EU,084123450010\n") },
			headers: []string{"Content-Type", "text/csv"},
			want:    expect{unauth, created, forbid, forbid, forbid, forbid}},
		{method: "POST", route: "/api/v1/recalls/:code/sources", path: fixed("/api/v1/recalls/US-CPSC/sources"),
			body: func(*world, string) any {
				return map[string]any{"url": "https://www.saferproducts.gov/RestWebServices/Recall?format=json", "format": "cpsc", "schedule": "0 4 * * *"}
			},
			want: expect{unauth, created, forbid, forbid, forbid, forbid}},
		// Sources are the operator's: their URLs and fetch status are for admins only.
		{method: "GET", route: "/api/v1/sources", path: fixed("/api/v1/sources"), want: adminOnly},
		{method: "POST", route: "/api/v1/schemes/:code/sources", path: fixed("/api/v1/schemes/SG-CLS/sources"),
			body: func(*world, string) any {
				return map[string]any{"url": "https://registry.example/sg.csv", "schedule": "0 3 * * *"}
			},
			want: expect{unauth, created, forbid, forbid, forbid, forbid}},
		// The source points at loopback, which is refused: the admin gets the fetch failure (503), others 403.
		{method: "POST", route: "/api/v1/sources/:id/refresh", path: func(w *world) string { return fmt.Sprintf("/api/v1/sources/%d/refresh", w.source) },
			want: expect{unauth, http.StatusServiceUnavailable, forbid, forbid, forbid, forbid}},
		{method: "GET", route: "/api/v1/snapshots/:id", path: func(w *world) string { return fmt.Sprintf("/api/v1/snapshots/%d", w.snapshot) }, want: users},
		{method: "GET", route: "/api/v1/snapshots/:id/entries", path: func(w *world) string { return fmt.Sprintf("/api/v1/snapshots/%d/entries", w.snapshot) }, want: users},
		{method: "GET", route: "/api/v1/policies", path: fixed("/api/v1/policies"), want: users},
		{method: "POST", route: "/api/v1/policies", path: fixed("/api/v1/policies"),
			body: func(w *world, role string) any { return policyVersion("test-by-" + role) },
			want: expect{unauth, created, forbid, forbid, forbid, forbid}},
		{method: "GET", route: "/api/v1/policies/:version", path: func(w *world) string { return "/api/v1/policies/" + w.policyVersion }, want: users},
		{method: "GET", route: "/api/v1/policies/:version/document", path: func(w *world) string { return "/api/v1/policies/" + w.policyVersion + "/document" }, want: users},
		{method: "GET", route: "/api/v1/policies/:version/diff", path: func(w *world) string { return "/api/v1/policies/" + w.policyVersion + "/diff" }, want: users},
		{method: "POST", route: "/api/v1/policies/:version/activate", path: func(w *world) string { return "/api/v1/policies/" + w.policyVersion + "/activate" },
			want: expect{unauth, ok, forbid, forbid, forbid, forbid}},
		{method: "GET", route: "/api/v1/impact", path: func(w *world) string { return "/api/v1/impact?as_of=2027-01-04&policy=" + w.policyVersion },
			want: expect{unauth, ok, ok, forbid, forbid, forbid}},
		{method: "GET", route: "/api/v1/verdicts", path: fixed("/api/v1/verdicts"), want: users},
		{method: "GET", route: "/api/v1/verdicts/changes", path: fixed("/api/v1/verdicts/changes?since=0"), want: users},
		{method: "GET", route: "/api/v1/verdicts/upcoming", path: fixed("/api/v1/verdicts/upcoming?within=90d"), want: expect{unauth, ok, ok, forbid, forbid, ok}},
		{method: "GET", route: "/api/v1/verdicts/upcoming/calendar", path: fixed("/api/v1/verdicts/upcoming/calendar?months=3"), want: expect{unauth, ok, ok, forbid, forbid, ok}},
		{method: "GET", route: "/api/v1/products/:id/verdicts", path: func(w *world) string { return fmt.Sprintf("/api/v1/products/%d/verdicts", w.productB) },
			want: expect{unauth, ok, ok, ok, ok, notFound}},
		{method: "GET", route: "/api/v1/gate", path: fixed("/api/v1/gate?gtin=4006381333931&market=UK&channel=retail"), want: users},
		{method: "GET", route: "/api/v1/listings", path: fixed("/api/v1/listings?market=UK&format=csv"), want: users},
		{method: "POST", route: "/api/v1/evaluate", path: fixed("/api/v1/evaluate"), want: expect{unauth, ok, forbid, forbid, forbid, forbid}},
		// Disputes are for the people who run the catalogue; the admin decides first, so the manager finds it decided.
		{method: "GET", route: "/api/v1/disputes", path: fixed("/api/v1/disputes"), want: disputeDeciders},
		{method: "GET", route: "/api/v1/disputes/:id", path: w(func(w *world) int64 { return w.dispute }, "/api/v1/disputes/%d"), want: disputeDeciders},
		{method: "POST", route: "/api/v1/disputes/:id/accept", path: w(func(w *world) int64 { return w.dispute }, "/api/v1/disputes/%d/accept"),
			body: func(*world, string) any { return map[string]string{"note": "the same product"} },
			want: expect{unauth, ok, conflict, forbid, forbid, forbid}},
		{method: "POST", route: "/api/v1/disputes/:id/reject", path: w(func(w *world) int64 { return w.dispute }, "/api/v1/disputes/%d/reject"),
			body: func(*world, string) any { return map[string]string{"note": "not the maker's data"} },
			want: expect{unauth, ok, conflict, forbid, forbid, forbid}},
		{method: "GET", route: "/api/v1/procurement/catalogue", path: fixed("/api/v1/procurement/catalogue?market=UK&all=true"), want: orderReaders},
		{method: "POST", route: "/api/v1/procurement/check", path: fixed("/api/v1/procurement/check"),
			body: func(*world, string) any {
				return map[string]any{"market": "UK", "lines": []map[string]any{{"gtin": "00012345600012", "quantity": 1, "delivery_date": "2030-01-15"}}}
			},
			want: orderReaders},
		{method: "GET", route: "/api/v1/purchase-orders", path: fixed("/api/v1/purchase-orders"), want: orderReaders},
		{method: "POST", route: "/api/v1/purchase-orders", path: fixed("/api/v1/purchase-orders"),
			body: func(w *world, role string) any {
				return map[string]string{"reference": "PO-by-" + role, "market": "UK"}
			},
			want: expect{unauth, forbid, forbid, created, forbid, forbid}},
		{method: "GET", route: "/api/v1/purchase-orders/:id", path: w(func(w *world) int64 { return w.orderA }, "/api/v1/purchase-orders/%d"), want: orderReaders},
		{method: "POST", route: "/api/v1/purchase-orders/:id/lines", path: w(func(w *world) int64 { return w.orderA }, "/api/v1/purchase-orders/%d/lines"),
			body: func(w *world, role string) any {
				return map[string]any{"version": w.version(w.orderA), "gtin": "00012345600012", "quantity": 2, "delivery_date": "2030-01-15"}
			},
			want: expect{unauth, forbid, forbid, created, forbid, forbid}},
		{method: "DELETE", route: "/api/v1/purchase-orders/:id/lines/:line", path: func(w *world) string {
			return fmt.Sprintf("/api/v1/purchase-orders/%d/lines/1?version=%d", w.orderA, w.version(w.orderA))
		}, want: expect{unauth, forbid, forbid, ok, forbid, forbid}},
		{method: "GET", route: "/api/v1/purchase-orders/:id/check", path: w(func(w *world) int64 { return w.orderB }, "/api/v1/purchase-orders/%d/check"), want: orderReaders},
		{method: "POST", route: "/api/v1/purchase-orders/:id/submit", path: w(func(w *world) int64 { return w.orderB }, "/api/v1/purchase-orders/%d/submit"),
			body: func(w *world, _ string) any { return map[string]int{"version": w.version(w.orderB)} },
			want: expect{unauth, forbid, forbid, conflict, forbid, forbid}}, // its line is blocked
		{method: "POST", route: "/api/v1/purchase-orders/:id/approve", path: w(func(w *world) int64 { return w.orderB }, "/api/v1/purchase-orders/%d/approve"),
			body: func(w *world, _ string) any { return map[string]int{"version": w.version(w.orderB)} },
			want: expect{unauth, forbid, forbid, forbid, conflict, forbid}}, // still a draft
		{method: "POST", route: "/api/v1/purchase-orders/:id/reject", path: w(func(w *world) int64 { return w.orderB }, "/api/v1/purchase-orders/%d/reject"),
			body: func(w *world, _ string) any { return map[string]int{"version": w.version(w.orderB)} },
			want: expect{unauth, forbid, forbid, forbid, conflict, forbid}},
		{method: "POST", route: "/api/v1/purchase-orders/:id/cancel", path: w(func(w *world) int64 { return w.orderC }, "/api/v1/purchase-orders/%d/cancel"),
			body: func(w *world, _ string) any { return map[string]int{"version": w.version(w.orderC)} },
			want: expect{unauth, forbid, forbid, ok, forbid, forbid}},
		{method: "GET", route: "/api/v1/purchase-orders/:id/evidence", path: w(func(w *world) int64 { return w.orderB }, "/api/v1/purchase-orders/%d/evidence"),
			want: expect{unauth, conflict, forbid, conflict, conflict, forbid}}, // not approved
		{method: "GET", route: "/api/v1/purchase-orders/:id/evidence.xlsx", path: w(func(w *world) int64 { return w.orderB }, "/api/v1/purchase-orders/%d/evidence.xlsx"),
			want: expect{unauth, conflict, forbid, conflict, conflict, forbid}},
		{method: "GET", route: "/api/v1/waivers", path: fixed("/api/v1/waivers"), want: orderReaders},
		{method: "POST", route: "/api/v1/waivers", path: fixed("/api/v1/waivers"),
			body: func(w *world, _ string) any {
				return map[string]any{"product_id": w.productA, "market": "UK", "codes": []string{"LABEL_REQUIRED"},
					"justification": "Needed for the council's accessibility pilot.", "expires_on": time.Now().AddDate(0, 1, 0).Format("2006-01-02")}
			},
			want: expect{unauth, forbid, forbid, created, forbid, forbid}},
		{method: "GET", route: "/api/v1/waivers/:id", path: w(func(w *world) int64 { return w.waiverA }, "/api/v1/waivers/%d"), want: orderReaders},
		{method: "POST", route: "/api/v1/waivers/:id/approve", path: w(func(w *world) int64 { return w.waiverA }, "/api/v1/waivers/%d/approve"),
			body: func(*world, string) any { return map[string]string{"note": "ok"} },
			want: expect{unauth, forbid, forbid, forbid, ok, forbid}},
		{method: "POST", route: "/api/v1/waivers/:id/refuse", path: w(func(w *world) int64 { return w.waiverB }, "/api/v1/waivers/%d/refuse"),
			body: func(*world, string) any { return map[string]string{"note": "no"} },
			want: expect{unauth, forbid, forbid, forbid, ok, forbid}},
		// Webhooks: admins subscribe to everything, suppliers to their own events; an admin's subscription is a 404 to a supplier.
		{method: "POST", route: "/api/v1/webhooks", path: fixed("/api/v1/webhooks"),
			body: func(*world, string) any {
				return map[string]any{"url": "https://hooks.example/cascade", "events": []string{"verdict.changed"}}
			},
			want: expect{unauth, created, forbid, forbid, forbid, created}},
		{method: "GET", route: "/api/v1/webhooks", path: fixed("/api/v1/webhooks"), want: expect{unauth, ok, forbid, forbid, forbid, ok}},
		{method: "DELETE", route: "/api/v1/webhooks/:id", path: w((*world).adminWebhook, "/api/v1/webhooks/%d"), want: expect{unauth, noBody, forbid, forbid, forbid, notFound}},
		{method: "GET", route: "/api/v1/webhooks/:id/deliveries", path: w((*world).adminWebhook, "/api/v1/webhooks/%d/deliveries"), want: expect{unauth, ok, forbid, forbid, forbid, notFound}},
		{method: "POST", route: "/api/v1/webhooks/:id/deliveries/:delivery/redeliver", path: (*world).webhookDelivery,
			want: expect{unauth, http.StatusAccepted, forbid, forbid, forbid, notFound}},
		{method: "GET", route: "/api/v1/audit", path: fixed("/api/v1/audit"), want: adminOnly},
		{method: "GET", route: "/api/v1/audit/verify", path: fixed("/api/v1/audit/verify"), want: adminOnly},
	}
}

// freshWaiver is a new waiver the buyer requested, for a page's decision
// (the API's rows decide waiverA and waiverB).
func (w *world) freshWaiver() int64 {
	w.t.Helper()
	buyer := access.With(context.Background(), w.users["buyer"].Principal())
	wv, err := procurement.New(w.db).RequestWaiver(buyer, procurement.NewWaiver{ProductID: w.productB, Market: "UK", Codes: []string{"LABEL_REQUIRED"},
		Justification: "A fixture waiver long enough to be justified.", ExpiresOn: civil.Today().AddDays(30)})
	if err != nil {
		w.t.Fatal(err)
	}
	return wv.ID
}

// victim is a fresh user for the disable route to act on.
func (w *world) victim() int64 {
	w.t.Helper()
	ctx := access.With(context.Background(), access.System("test"))
	email := fmt.Sprintf("victim-%d@test.example", count(w.t, w.db, "users"))
	u, err := w.people.CreateUser(ctx, auth.NewUser{Email: email, Role: access.CategoryManager, Password: password})
	if err != nil {
		w.t.Fatal(err)
	}
	return u.ID
}

// spareAdminToken is a fresh token of the admin's, for the revoke route.
func (w *world) spareAdminToken() int64 {
	w.t.Helper()
	ctx := access.With(context.Background(), access.System("test"))
	_, tok, err := w.people.CreateToken(ctx, w.users["admin"].ID, "spare", 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return tok.ID
}

// TestEveryRouteWithEveryRole walks every registered route as every role and
// checks who gets 2xx and who gets 401, 403 or 404. A route added without a
// row here fails the test. The security facts routes are walked again on a
// server with public cards on (publicFactsMatrix).
func TestEveryRouteWithEveryRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		w.openDispute(t)
		matrix := routeMatrix()
		sessions := map[string]*webSession{} // each role's browser session, for the pages
		covered := map[string]bool{}
		for _, rc := range matrix {
			covered[rc.method+" "+rc.route] = true
		}
		for _, r := range w.srv.Routes() {
			if !covered[r.Method+" "+r.Path] {
				t.Errorf("route %s %s has no row in the role matrix", r.Method, r.Path)
			}
		}
		w.walk(t, matrix, sessions, "")

		// The same database served with public cards on (cascade serve --public-facts).
		w.allowedProduct(t)
		w.srv = web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		w.srv.SetPublicFacts(true)
		// Fresh sessions: the walk above signed every role out (POST /logout).
		w.walk(t, publicFactsMatrix(), map[string]*webSession{}, " with public cards")
	})
}

// walk calls every row of matrix as every role and checks the statuses.
func (w *world) walk(t *testing.T, matrix []routeCase, sessions map[string]*webSession, setting string) {
	t.Helper()
	for _, rc := range matrix {
		for i, role := range matrixRoles {
			name := role
			if name == "" {
				name = "anonymous"
			}
			var body any
			if rc.body != nil {
				body = rc.body(w, role)
			}
			var rec *httptest.ResponseRecorder
			if rc.page {
				rec = w.pageRequest(sessions, role, rc.method, rc.path(w), body, rc.headers...)
			} else {
				rec = w.request(role, rc.method, rc.path(w), body, rc.headers...)
			}
			if rec.Code != rc.want[i] {
				t.Errorf("%s %s as %s%s: status %d, want %d (%s)", rc.method, rc.route, name, setting, rec.Code, rc.want[i], strings.TrimSpace(rec.Body.String()))
			}
			if rec.Code >= 400 && strings.HasPrefix(rc.route, "/api/") {
				errorCode(t, rec) // every refusal uses the one JSON error shape
			}
			// An API token does not open a page: it is sent to sign in, or
			// with public cards on, answered as anyone is.
			if rc.page && role != "" && rc.method == "GET" {
				want := seeOther
				if rc.public {
					want = rc.want[0]
				}
				if rec := w.request(role, rc.method, rc.path(w), nil); rec.Code != want {
					t.Errorf("%s %s with %s's API token%s: status %d, want %d", rc.method, rc.route, name, setting, rec.Code, want)
				}
			}
		}
	}
}

// allowedGTIN is a product the gate allows in UK retail: supplier B's.
const allowedGTIN = "05012345678900"

// allowedProduct has supplier B upload a product every UK rule accepts.
func (w *world) allowedProduct(t *testing.T) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ok.csv")
	csv := "sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking\n" +
		"B-OK," + allowedGTIN + ",Brand,OK-1,smart_plug,UK,unique_per_device,https://brand.example/security,2031-12-31,included,yes\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	im := imports.New(w.db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	ctx := access.With(context.Background(), access.System("test"))
	if b, err := im.Import(ctx, imports.Request{SupplierID: w.supplierB.ID, FileName: "ok.csv", Path: path}); err != nil || b.RowsRejected != 0 {
		t.Fatalf("import: %v %+v", err, b)
	}
}

// publicFactsMatrix is the security facts routes with public cards on:
// anyone reads the card of an allowed product (supplier A of supplier B's
// too); a blocked product (B-1) and an unknown GTIN are 404 to anyone who
// may not see them otherwise, as if they did not exist; signed-in users see
// the blocked card as before.
func publicFactsMatrix() []routeCase {
	everyone := expect{ok, ok, ok, ok, ok, ok}
	blocked := expect{notFound, ok, ok, ok, ok, notFound}
	nobody := expect{notFound, notFound, notFound, notFound, notFound, notFound}
	var out []routeCase
	for _, c := range []struct {
		gtin string
		want expect
	}{{allowedGTIN, everyone}, {"00012345600012", blocked}, {"05012345678917", nobody}} {
		out = append(out,
			routeCase{method: "GET", route: "/facts/:gtin", path: fixed("/facts/" + c.gtin + "?market=UK"), page: true, public: true, want: c.want},
			routeCase{method: "GET", route: "/facts/:gtin/badge.svg", path: fixed("/facts/" + c.gtin + "/badge.svg?market=UK"), page: true, public: true, want: c.want},
			routeCase{method: "GET", route: "/api/v1/facts", path: fixed("/api/v1/facts?gtin=" + c.gtin + "&market=UK"), want: c.want})
	}
	return out
}

func TestSupplierUserSeesOnlyItsOwnSupplierAndProducts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)

		rec := w.request("supplier", "GET", "/api/v1/products", nil)
		var products struct {
			Products []struct {
				ID         int64 `json:"id"`
				SupplierID int64 `json:"supplier_id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &products); err != nil {
			t.Fatal(err)
		}
		if len(products.Products) != 1 || products.Products[0].ID != w.productA {
			t.Fatalf("supplier listing = %+v, want only product %d", products.Products, w.productA)
		}
		// Asking for the other supplier by filter returns nothing, not their data.
		rec = w.request("supplier", "GET", fmt.Sprintf("/api/v1/products?supplier_id=%d", w.supplierB.ID), nil)
		if strings.Contains(rec.Body.String(), "B-1") {
			t.Fatalf("supplier filter leaked another supplier's product: %s", rec.Body.String())
		}
		if rec := w.request("supplier", "GET", fmt.Sprintf("/api/v1/products/%d", w.productA), nil); rec.Code != ok {
			t.Fatalf("own product: %d", rec.Code)
		}
		rec = w.request("supplier", "GET", "/api/v1/suppliers", nil)
		if !strings.Contains(rec.Body.String(), "Supplier A") || strings.Contains(rec.Body.String(), "Supplier B") {
			t.Fatalf("supplier list = %s", rec.Body.String())
		}
		rec = w.request("supplier", "GET", fmt.Sprintf("/api/v1/products/%d", w.productB), nil)
		if rec.Code != notFound || strings.Contains(rec.Body.String(), "B-1") {
			t.Fatalf("other supplier's product: %d %s", rec.Code, rec.Body.String())
		}
		// The same product id that is 404 for them is 200 for a category manager: it exists.
		if rec := w.request("category_manager", "GET", fmt.Sprintf("/api/v1/products/%d", w.productB), nil); rec.Code != ok {
			t.Fatalf("category manager: %d", rec.Code)
		}
	})
}

// policyVersion is the default policy renamed to version v.
func policyVersion(v string) []byte {
	var doc map[string]any
	json.Unmarshal(policy.Default(), &doc)
	doc["version"] = v
	b, _ := json.Marshal(doc)
	return b
}

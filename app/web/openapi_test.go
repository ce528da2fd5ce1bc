package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// The served OpenAPI document, loaded once for every test of the package.
var contract struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router // the document as served: OpenAPI 3.1, JSON Schema 2020-12
	fast   routers.Router // the same document for kin-openapi's OpenAPI 3.0 schema validator
	err    error
}

// strictContract makes every API test's answer go through kin-openapi's
// JSON Schema 2020-12 path, as for any 3.1 document. That path compiles a
// validator on every call (about 7 ms) and then, for a schema with $refs
// and no keyword only 2020-12 has (all of ours), validates with its OpenAPI
// 3.0 schema validator anyway; by default the hook calls that validator
// directly (0.1 ms). TestTheContractCheckRefusesAnswersTheDocumentDoesNotDescribe
// runs both.
var strictContract = os.Getenv("CASCADE_TEST_OPENAPI_STRICT") == "true"

// loadContract reads the document as srv serves it (the first caller's server).
func loadContract(srv http.Handler) (*openapi3.T, routers.Router, error) {
	contract.once.Do(func() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(rec.Body.Bytes())
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			contract.err = err
			return
		}
		contract.doc = doc
		if contract.router, contract.err = gorillamux.NewRouter(doc); contract.err != nil {
			return
		}
		fast, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
		if err != nil {
			contract.err = err
			return
		}
		fast.OpenAPI = "3.0.3" // read by the 3.0 schema validator, which knows type arrays
		contract.fast, contract.err = gorillamux.NewRouter(fast)
	})
	return contract.doc, contract.router, contract.err
}

func init() {
	// Bodies the document describes as files: validated as strings.
	for _, ct := range []string{"text/csv", "text/html", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

// checkContract validates an answer of the API against the document: its
// status must be one the operation lists, its body must match that
// status's schema for its media type. Routes the document does not know
// are left to TestTheOpenAPIDocumentListsEveryRouteAndNoOther.
func checkContract(t *testing.T, srv http.Handler, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	if err := contractError(srv, req, rec, strictContract); err != nil {
		body := rec.Body.String()
		if len(body) > 600 {
			body = body[:600] + "…"
		}
		t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %v\nbody: %s", req.Method, req.URL.Path, rec.Code, err, body)
	}
}

func contractError(srv http.Handler, req *http.Request, rec *httptest.ResponseRecorder, strict bool) error {
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return nil
	}
	_, router, err := loadContract(srv)
	if err != nil {
		return fmt.Errorf("the OpenAPI document does not load: %w", err)
	}
	if !strict {
		router = contract.fast
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return nil // an undocumented route or method: the route-table test says so
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: rec.Code,
		Header: rec.Header(),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	in.SetBodyBytes(rec.Body.Bytes())
	if mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type")); mt == "" && rec.Body.Len() == 0 {
		in.Options.ExcludeResponseBody = true
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// TestTheContractCheckRefusesAnswersTheDocumentDoesNotDescribe makes sure
// the check every API test runs can fail: a status the operation does not
// list, a wrong type, a missing required field, a wrong error shape.
func TestTheContractCheckRefusesAnswersTheDocumentDoesNotDescribe(t *testing.T) {
	srv := web.New(dbtest.SQLite(t), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	answer := func(status int, body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json; charset=utf-8")
		rec.WriteHeader(status)
		io.WriteString(rec, body)
		return rec
	}
	user := `{"user":{"id":1,"email":"a@b.example","name":"A","role":"admin","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}}`
	gate := `{"gtin":"04006381333931","market":"UK","channel":"retail","verdict":"blocked","reasons":[],"gtin_verdict":"blocked","product_ids":[1],"offers":[]}`
	for _, c := range []struct {
		name, path string
		rec        *httptest.ResponseRecorder
		valid      bool
	}{
		{"a user as documented", "/api/v1/me", answer(200, user), true},
		{"the gate as documented", "/api/v1/gate?gtin=4006381333931&market=UK", answer(200, gate), true},
		{"an error in the one shape", "/api/v1/me", answer(401, `{"error":{"code":"TOKEN_INVALID","message":"no"}}`), true},
		{"a list that may be null, null", "/api/v1/gate?gtin=4006381333931&market=UK", answer(200, strings.Replace(gate, `"reasons":[]`, `"reasons":null`, 1)), true},
		{"a field that is omitted, never null, null", "/api/v1/me", answer(200, strings.Replace(user, `"name":"A"`, `"name":"A","supplier_id":null`, 1)), false},
		{"a field that is never null, null", "/api/v1/me", answer(200, strings.Replace(user, `"email":"a@b.example"`, `"email":null`, 1)), false},
		{"an undocumented status", "/api/v1/me", answer(418, `{"error":{"code":"TEAPOT","message":"no"}}`), false},
		{"an id that is a string", "/api/v1/me", answer(200, strings.Replace(user, `"id":1`, `"id":"1"`, 1)), false},
		{"a role no one has", "/api/v1/me", answer(200, strings.Replace(user, `"admin"`, `"owner"`, 1)), false},
		{"a required field missing", "/api/v1/gate?gtin=4006381333931&market=UK", answer(200, strings.Replace(gate, `"verdict":"blocked",`, "", 1)), false},
		{"an error without its message", "/api/v1/me", answer(401, `{"error":{"code":"TOKEN_INVALID"}}`), false},
		{"an error in another shape", "/api/v1/me", answer(401, `{"message":"no"}`), false},
	} {
		for _, strict := range []bool{true, false} {
			err := contractError(srv, httptest.NewRequest("GET", c.path, nil), c.rec, strict)
			if c.valid && err != nil {
				t.Errorf("%s (strict %v): refused: %v", c.name, strict, err)
			}
			if !c.valid && err == nil {
				t.Errorf("%s (strict %v): accepted", c.name, strict)
			}
		}
	}
}

var ginParam = regexp.MustCompile(`:(\w+)`)

// TestTheOpenAPIDocumentListsEveryRouteAndNoOther keeps the document and the
// route table the same: every /api/v1 route is an operation of the
// document, and every operation is a route.
func TestTheOpenAPIDocumentListsEveryRouteAndNoOther(t *testing.T) {
	srv := web.New(dbtest.SQLite(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	doc, _, err := loadContract(srv.Handler())
	if err != nil {
		t.Fatalf("the served document is not valid OpenAPI: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	routes := map[string]bool{}
	for _, r := range srv.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		key := r.Method + " " + ginParam.ReplaceAllString(r.Path, "{$1}")
		routes[key] = true
		if !documented[key] {
			t.Errorf("route %s %s is not in the OpenAPI document (app/web/openapi_gen_test.go)", r.Method, r.Path)
		}
	}
	var extra []string
	for op := range documented {
		if !routes[op] {
			extra = append(extra, op)
		}
	}
	sort.Strings(extra)
	for _, op := range extra {
		t.Errorf("the OpenAPI document has %s, which the route table does not", op)
	}
	if len(routes) < 60 {
		t.Fatalf("only %d API routes found", len(routes))
	}
}

// TestTheOpenAPIDocumentIsServedAndRenderedWithoutExternalResources serves
// the document to anyone and renders it as a page that loads nothing from
// elsewhere, under the strict CSP.
func TestTheOpenAPIDocumentIsServedAndRenderedWithoutExternalResources(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		rec := w.request("", "GET", "/api/v1/openapi.json", nil)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !strings.Contains(rec.Body.String(), `"openapi": "3.1.0"`) {
			t.Fatalf("GET /api/v1/openapi.json: %d %s %.200s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
		rec = w.request("", "GET", "/api/docs", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/docs: %d %s", rec.Code, rec.Body.String())
		}
		page := rec.Body.String()
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP = %q", csp)
		}
		// Every operation, its parameters, body fields and error codes are on the page.
		for _, want := range []string{
			"POST /api/v1/purchase-orders/{id}/lines", "<code>unit_price</code>", "<code>delivery_date</code>", "ORDER_CHANGED",
			"POST /api/v1/waivers", "<code>justification</code>", "at least 20 characters", "<code>expires_on</code>",
			"POST /api/v1/purchase-orders", "<code>reference</code>", "<code>version</code>", "Content-Type: application/json",
			"GET /api/v1/gate", "<code>gtin</code>", "AMBIGUOUS_PRODUCT", `id="schema-GateAnswer"`, "UNSUPPORTED_MEDIA_TYPE",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("/api/docs lacks %q", want)
			}
		}
		doc, _, err := loadContract(w.srv.Handler())
		if err != nil {
			t.Fatal(err)
		}
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				if !strings.Contains(page, method+" "+path) {
					t.Errorf("/api/docs lacks %s %s", method, path)
				}
			}
		}
		// Nothing from elsewhere: no script, style or link that leaves the site, and no inline script or style.
		for _, bad := range regexp.MustCompile(`(?i)<script[^>]*>|<link[^>]*>|<style|style=|src="[^"]*"|href="[^"]*"`).FindAllString(page, -1) {
			lower := strings.ToLower(bad)
			if strings.Contains(lower, "://") || strings.Contains(lower, "//") || lower == "<style" || strings.HasPrefix(lower, "style=") ||
				strings.HasPrefix(lower, "<script") && !strings.Contains(lower, `src="/static/`) {
				t.Errorf("/api/docs loads or inlines %s", bad)
			}
		}
	})
}

package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/notify"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/offers"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/procurement"
	"github.com/cascade-gate/cascade/vendors"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite app/web/openapi.json from the operation table and the Go types")

// TestTheOpenAPIDocumentIsTheOneTheCodeDescribes fails when openapi.json is
// not what the operation table below and the Go types of the requests and
// responses make of it. Regenerate with
//
//	go test ./app/web -run TestTheOpenAPIDocumentIsTheOneTheCodeDescribes -update-openapi
func TestTheOpenAPIDocumentIsTheOneTheCodeDescribes(t *testing.T) {
	want, err := buildOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if *updateOpenAPI {
		if err := os.WriteFile("openapi.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(openAPIDocument, want) {
		t.Fatalf("app/web/openapi.json is out of date: run go test ./app/web -run %s -update-openapi", t.Name())
	}
}

// op is one operation of the API as the document describes it.
type op struct {
	method, path string
	tag          string
	summary      string
	who          string // who may call it
	desc         string
	params       []param
	body         *body
	resps        []resp
	codes        map[int][]string // error codes by status, beyond the ones every operation shares
	anonymous    bool
	optionalAuth bool // credentials if any: anonymous callers get what a deployment setting opens to anyone
}

type param struct {
	name, in, desc string
	schema         schema
	required       bool
}

type body struct {
	content  map[string]schema
	required bool
	desc     string
}

type resp struct {
	status  int
	desc    string
	content map[string]schema // nil: no body
	headers map[string]string
}

func query(name, typ, desc string) param {
	return param{name: name, in: "query", desc: desc, schema: schema{"type": typ}}
}

func queryEnum(name, desc string, values ...string) param {
	return param{name: name, in: "query", desc: desc, schema: schema{"type": "string", "enum": values}}
}

func required(p param) param { p.required = true; return p }

const (
	jsonType = "application/json"
	csvType  = "text/csv"
	htmlType = "text/html"
)

// doc builds the document's parts from the Go types.
type doc struct{ s *schemas }

func (d doc) t(v any) schema { return d.s.of(reflect.TypeOf(v)) }

func (d doc) list(v any) schema { return d.s.of(reflect.SliceOf(reflect.TypeOf(v))) }

// page is the one shape of every JSON list: a page of items of v, the
// cursor of the next page, and (where counted) the list's total.
func (d doc) page(v any, total bool) schema {
	props := schema{
		"items":       d.list(v),
		"next_cursor": schema{"type": []string{"string", "null"}, "description": "pass as `cursor` for the next page (also in the `Link: <…>; rel=\"next\"` header); null on the last page"},
	}
	if total {
		props["total"] = schema{"type": "integer", "description": "the number of items of the whole list, every page together"}
	}
	return schema{"type": "object", "properties": props, "required": []string{"items", "next_cursor"}}
}

// feed is the change feed's page: like page, but its cursor is never null
// (poll again with it), and the Link header comes with full pages only.
func (d doc) feed(v any) schema {
	p := d.page(v, false)
	p["properties"].(schema)["next_cursor"] = schema{"type": "string",
		"description": "pass as `cursor` to poll for what changed after this page; never null (also in the `Link: <…>; rel=\"next\"` header when the page is full)"}
	return p
}

// obj is a response object: name, schema pairs, every one always present.
func obj(kv ...any) schema {
	props := schema{}
	var req []string
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		props[name] = kv[i+1]
		req = append(req, name)
	}
	sort.Strings(req)
	return schema{"type": "object", "properties": props, "required": req}
}

func ok(status int, desc string, s schema) resp {
	return resp{status: status, desc: desc, content: map[string]schema{jsonType: s}}
}

func file(desc string, types ...string) resp {
	c := map[string]schema{}
	for _, t := range types {
		c[t] = schema{"type": "string", "contentMediaType": t}
	}
	return resp{status: 200, desc: desc, content: c}
}

var noContent = resp{status: 204, desc: "Done; no body."}

// partial is the answer to a change stored whose verdicts could not be
// recomputed: 202, no stats, and a warning in the error shape.
func partial(d doc, name string, s schema) resp {
	return ok(202, "Stored, but the verdicts were not recomputed (`warning.code` is `VERDICTS_NOT_RECOMPUTED`): the change stays and the nightly "+
		"re-evaluation recomputes them; do not send it again.",
		obj(name, s, "recomputed", schema{"type": "null"}, "warning", d.t(errorPayload{})))
}

// request is a strict JSON request body of the struct v, its fields
// described by docs (name: text) and those in need required.
func (d doc) request(v any, need []string, docs map[string]string) *body {
	s := d.s.object(reflect.TypeOf(v), true)
	props := s["properties"].(schema)
	for name, text := range docs {
		p, ok := props[name].(schema)
		if !ok {
			panic(fmt.Sprintf("openapi: %T has no field %q", v, name))
		}
		props[name] = describe(p, text)
	}
	for _, n := range need {
		if _, ok := props[n]; !ok {
			panic(fmt.Sprintf("openapi: %T has no field %q", v, n))
		}
	}
	if len(need) > 0 {
		s["required"] = need
	}
	return &body{content: map[string]schema{jsonType: s}, required: true}
}

func constrain(b *body, field string, kv ...any) {
	p := b.content[jsonType]["properties"].(schema)[field].(schema)
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
}

func (d doc) operations() []op {
	id := param{name: "id", in: "path", desc: "the record's id", schema: schema{"type": "integer", "minimum": 1}, required: true}
	code := param{name: "code", in: "path", desc: "a label scheme's code, e.g. SG-CLS", schema: schema{"type": "string"}, required: true}
	version := param{name: "version", in: "path", desc: "a policy version", schema: schema{"type": "string"}, required: true}
	market := queryEnum("market", "a market code", "UK", "EU", "SG", "AU", "US")
	channel := queryEnum("channel", "the channel; retail when omitted", "retail", "procurement")
	channels := queryEnum("channel", "the channel; both when omitted", "retail", "procurement")
	asOf := param{name: "as_of", in: "query", desc: "a date, YYYY-MM-DD: a forecast for that day, stored nowhere", schema: schema{"type": "string", "format": "date"}}
	pageLimit := query("limit", "integer", "items a page: 100 when omitted, larger values answered as 1,000")
	cursor := query("cursor", "string", "the `next_cursor` of the previous page; the first page when omitted")
	paged := func(ps ...param) []param { return append(ps, pageLimit, cursor) }
	supplierID := query("supplier_id", "integer", "a supplier's id")
	user := d.t(auth.User{})
	supplier := d.t(vendors.Supplier{})
	batch := d.t(imports.Batch{})
	snapshot := d.t(registry.Snapshot{})
	stats := d.t(verdicts.Stats{})
	policyVersion := d.t(policy.Version{})
	order := d.t(procurement.Order{})
	waiver := d.t(procurement.Waiver{})
	dispute := d.t(offers.Dispute{})
	upload := map[string]schema{
		"multipart/form-data": {"type": "object", "properties": schema{
			"file":        schema{"type": "string", "contentMediaType": "application/octet-stream", "description": "the spreadsheet"},
			"supplier_id": schema{"type": "string", "description": "the supplier the file belongs to (admins)"},
		}, "required": []string{"file"}},
		csvType:                    {"type": "string", "description": "the file itself as the body"},
		xlsxType:                   {"type": "string", "contentMediaType": xlsxType},
		"application/octet-stream": {"type": "string", "contentMediaType": "application/octet-stream"},
	}
	orderVersion := d.request(decisionRequest{}, []string{"version"}, map[string]string{
		"version":    "the order's version as last read; a stale one is 409 ORDER_CHANGED, none 400 VERSION_REQUIRED",
		"note":       "approve and reject only: the approver's note",
		"expires_on": "not used by order transitions",
	})
	decision := d.request(decisionRequest{}, nil, map[string]string{
		"note":       "why; at most 2,000 characters",
		"expires_on": "approve only: an earlier expiry than requested (YYYY-MM-DD); it may only shorten it",
		"version":    "not used by waiver decisions",
	})
	disputeNote := d.request(struct {
		Note string `json:"note"`
	}{}, nil, map[string]string{"note": "why; at most 2,000 characters"})
	tokenBody := d.request(createTokenRequest{}, []string{"name"}, map[string]string{
		"name":     "what will use the token, 1 to 100 characters",
		"user_id":  "admins only: whose token it is; the caller's when omitted",
		"ttl_days": "days until it expires, 1 to 730; the maximum when omitted",
	})
	constrain(tokenBody, "ttl_days", "minimum", 1, "maximum", 730)
	lineBody := d.request(addLineRequest{}, []string{"version", "quantity", "delivery_date"}, map[string]string{
		"version":       "the order's version as last read; a stale one is 409 ORDER_CHANGED, none 400 VERSION_REQUIRED",
		"gtin":          "the product by GTIN (8 to 14 digits, valid check digit); or supplier_id and sku",
		"supplier_id":   "with sku: the product by supplier and SKU; with gtin: which supplier's offer of a GTIN several offer",
		"sku":           "with supplier_id: the product by supplier and SKU",
		"quantity":      "1 to 1,000,000",
		"currency":      "an ISO 4217 code such as GBP; required with unit_price",
		"delivery_date": "YYYY-MM-DD, between today and the delivery horizon: the gate judges the product as of that day",
	})
	constrain(lineBody, "quantity", "minimum", 1, "maximum", 1_000_000)
	waiverBody := d.request(waiverRequest{}, []string{"product_id", "market", "codes", "justification", "expires_on"}, map[string]string{
		"product_id":    "the blocked product",
		"market":        "the market, e.g. UK",
		"codes":         "the blocking reason codes it waives; it covers those and nothing else",
		"justification": "why this product, why no compliant alternative: at least 20 characters",
		"expires_on":    "YYYY-MM-DD, between today and 366 days from now",
	})
	constrain(waiverBody, "justification", "minLength", 20)
	userBody := d.request(createUserRequest{}, []string{"email", "role", "password"}, map[string]string{
		"role":         "admin, category_manager, buyer, approver or supplier",
		"supplier_id":  "supplier users: their supplier",
		"organisation": "buyers and approvers: their organisation",
		"password":     "at least 12 characters",
	})
	sourceBody := d.request(addSourceRequest{}, []string{"url"}, map[string]string{
		"url":            "an http(s) URL; loopback and private networks only where --allow-outbound-networks allows them",
		"column_mapping": "canonical column: the source's column, for other layouts",
		"schedule":       "a cron expression (minute hour day month weekday)",
	})
	recallSourceBody := d.request(addRecallSourceRequest{}, []string{"url"}, map[string]string{
		"url":      "an http(s) URL; loopback and private networks only where --allow-outbound-networks allows them",
		"format":   "cpsc for the CPSC Recalls API's JSON; omitted: the canonical recall layout",
		"schedule": "a cron expression (minute hour day month weekday)",
	})
	recomputed := "the re-evaluation it ran"

	return []op{
		{method: "GET", path: "/api/v1/openapi.json", tag: "documentation", summary: "This document", who: "anyone", anonymous: true,
			desc:  "The OpenAPI 3.1 description of the API; `/api/docs` renders it for people.",
			resps: []resp{{status: 200, desc: "The document.", content: map[string]schema{jsonType: {"type": "object"}}}}},

		{method: "POST", path: "/api/v1/session", tag: "sessions", summary: "Sign in", who: "anyone", anonymous: true,
			desc: "Sets the HttpOnly session cookie `cascade_session` and answers the CSRF token to send as `X-CSRF-Token` on every " +
				"state-changing request made with that cookie. Failed attempts are throttled per e-mail and per client address.",
			body: d.request(loginRequest{}, []string{"email", "password"}, nil),
			resps: []resp{ok(200, "Signed in; the cookie is set.", obj("user", user, "csrf_token", schema{"type": "string"},
				"expires_at", schema{"type": "string", "format": "date-time"}))},
			codes: map[int][]string{400: {"MISSING_CREDENTIALS"}, 401: {"INVALID_CREDENTIALS", "ACCOUNT_DISABLED"}, 429: {"TOO_MANY_ATTEMPTS"}}},
		{method: "DELETE", path: "/api/v1/session", tag: "sessions", summary: "Sign out", who: "users", resps: []resp{noContent}},
		{method: "GET", path: "/api/v1/me", tag: "users", summary: "The caller", who: "users", resps: []resp{ok(200, "The caller.", obj("user", user))}},

		{method: "GET", path: "/api/v1/users", tag: "users", summary: "List users", who: "admin", params: paged(), resps: []resp{ok(200, "A page of users, in id order.", d.page(auth.User{}, true))}},
		{method: "POST", path: "/api/v1/users", tag: "users", summary: "Create a user", who: "admin", body: userBody,
			resps: []resp{ok(201, "The user.", obj("user", user))},
			codes: map[int][]string{400: {"INVALID_USER", "UNKNOWN_ROLE", "WEAK_PASSWORD", "UNKNOWN_SUPPLIER"}, 409: {"ALREADY_EXISTS"}}},
		{method: "GET", path: "/api/v1/users/{id}", tag: "users", summary: "One user", who: "admin; a user themselves",
			params: []param{id}, resps: []resp{ok(200, "The user.", obj("user", user))}},
		{method: "DELETE", path: "/api/v1/users/{id}", tag: "users", summary: "Disable a user", who: "admin", desc: "The last active admin stays.",
			params: []param{id}, resps: []resp{noContent}, codes: map[int][]string{400: {"CANNOT_DISABLE_SELF"}, 409: {"LAST_ADMIN"}}},

		{method: "GET", path: "/api/v1/tokens", tag: "tokens", summary: "List API tokens", who: "users (their own; admin anyone's with `user_id`)",
			params: paged(query("user_id", "integer", "admins: whose tokens")), resps: []resp{ok(200, "A page of tokens, without their secrets.", d.page(auth.Token{}, true))}},
		{method: "POST", path: "/api/v1/tokens", tag: "tokens", summary: "Create an API token", who: "users (their own; admin anyone's)",
			desc: "The secret (`cas_…`) is in `token` and is shown only this once; send it as `Authorization: Bearer <token>`.",
			body: tokenBody, resps: []resp{ok(201, "The token.", obj("token", schema{"type": "string", "description": "the secret, shown once"},
				"record", d.t(auth.Token{}), "note", schema{"type": "string"}))},
			codes: map[int][]string{400: {"INVALID_TOKEN_NAME", "INVALID_TOKEN_TTL"}, 404: {"UNKNOWN_USER"}}},
		{method: "DELETE", path: "/api/v1/tokens/{id}", tag: "tokens", summary: "Revoke an API token", who: "users (their own; admin anyone's)",
			params: []param{id}, resps: []resp{noContent}},

		{method: "GET", path: "/api/v1/suppliers", tag: "suppliers", summary: "List suppliers", who: "users (suppliers their own)",
			params: paged(), resps: []resp{ok(200, "A page of suppliers, in id order.", d.page(vendors.Supplier{}, true))}},
		{method: "POST", path: "/api/v1/suppliers", tag: "suppliers", summary: "Register a supplier", who: "admin",
			body:  d.request(createSupplierRequest{}, []string{"name"}, nil),
			resps: []resp{ok(201, "The supplier.", obj("supplier", supplier))}, codes: map[int][]string{400: {"MISSING_NAME"}, 409: {"ALREADY_EXISTS"}}},
		{method: "GET", path: "/api/v1/suppliers/{id}", tag: "suppliers", summary: "One supplier", who: "users (suppliers their own)",
			params: []param{id}, resps: []resp{ok(200, "The supplier.", obj("supplier", supplier))}},

		{method: "GET", path: "/api/v1/suppliers/{id}/mapping", tag: "suppliers", summary: "A supplier's saved column mapping", who: "suppliers (their own), admin, cm",
			desc:   "Each of the supplier's own headers and the column of the spreadsheet it means; every upload of theirs reads its header row with it first, then with the default names and aliases (German, French and Spanish included).",
			params: []param{id}, resps: []resp{ok(200, "The mapping; {} when none is saved.", obj("mapping", d.t(imports.Mapping{})))}},
		{method: "PUT", path: "/api/v1/suppliers/{id}/mapping", tag: "suppliers", summary: "Save a supplier's column mapping", who: "suppliers (their own), admin, cm",
			desc: "Replaces the whole mapping with the body, `{\"<their header>\": \"<column>\"}` (`{}` removes it), e.g. `{\"Artikelnummer\": \"sku\"}`. " +
				"Uploads started afterwards use it; each batch records the entries its file used (`mapped`).",
			params: []param{id},
			body: &body{required: true, content: map[string]schema{jsonType: {"type": "object", "additionalProperties": schema{"type": "string",
				"enum": columnNames()}, "description": "their header: the column it means"}}},
			resps: []resp{ok(200, "The saved mapping, headers trimmed.", obj("mapping", d.t(imports.Mapping{})))},
			codes: map[int][]string{400: {"UNKNOWN_COLUMN", "DUPLICATE_MAPPING", "INVALID_MAPPING"}, 404: {"UNKNOWN_SUPPLIER"}}},

		{method: "GET", path: "/api/v1/products", tag: "products", summary: "List products", who: "users (suppliers their own)",
			params: paged(query("q", "string", "text in the SKU, GTIN, brand or model"), query("category", "string", "a category"),
				query("gtin", "string", "a GTIN"), supplierID),
			resps: []resp{ok(200, "A page of products, in id order.", d.page(catalog.Product{}, true))},
			codes: map[int][]string{400: {"SEARCH_TOO_LONG"}}},
		{method: "GET", path: "/api/v1/products/{id}", tag: "products", summary: "One product with its labels", who: "users (suppliers their own)",
			params: []param{id}, resps: []resp{ok(200, "The product.", obj("product", d.t(catalog.Product{})))}},

		{method: "POST", path: "/api/v1/imports", tag: "imports", summary: "Upload a supplier spreadsheet", who: "suppliers (their own), admin",
			desc: "XLSX or CSV, sniffed from its content. As `multipart/form-data` (field `file`, optional `supplier_id`) or as the raw body with " +
				"`?file_name=`. Admins name the supplier (`supplier_id`); a supplier user imports for its own. Answers 202 with the batch to poll " +
				"(`Location`), or with `?wait=true` 201 with the finished batch. Rejected rows are in `GET /api/v1/imports/{id}/errors`. " +
				"With `?dry_run=true` it runs the same import and stores nothing (no batch either): 200 with the batch it would answer " +
				"(`id` 0, `status` `dry_run`), every row error and the verdict each product would get with the active policy.",
			params: []param{query("file_name", "string", "the file's name, for a raw body"), supplierID,
				queryEnum("wait", "true: answer when the import has finished", "true", "false"),
				queryEnum("dry_run", "true: check the file and preview the import, storing nothing", "true", "false")},
			body: &body{content: upload, required: true},
			resps: []resp{ok(200, "With dry_run=true: what the import would do; nothing stored.", d.t(imports.DryRun{})),
				ok(201, "With wait=true: the finished batch.", obj("import", batch)),
				{status: 202, desc: "The running batch.", content: map[string]schema{jsonType: obj("import", batch)},
					headers: map[string]string{"Location": "the batch, to poll"}}},
			codes: map[int][]string{404: {"UNKNOWN_SUPPLIER"}, 400: {"INVALID_PARAMETER", "MISSING_SUPPLIER", "MISSING_FILE", "MALFORMED_UPLOAD", "EMPTY_FILE", "UNSUPPORTED_FILE", "UNREADABLE_FILE",
				"NOT_UTF8", "TOO_MANY_ROWS", "NO_HEADER_ROW", "MISSING_COLUMNS", "DUPLICATE_COLUMN"}, 409: {"IMPORT_IN_PROGRESS"}, 413: {"FILE_TOO_LARGE"}}},
		{method: "GET", path: "/api/v1/imports", tag: "imports", summary: "The newest import batches", who: "suppliers (their own), admin, cm",
			params: paged(supplierID), resps: []resp{ok(200, "A page of batches, newest first.", d.page(imports.Batch{}, true))}},
		{method: "GET", path: "/api/v1/imports/{id}", tag: "imports", summary: "A batch and its progress", who: "suppliers (their own), admin, cm",
			params: []param{id}, resps: []resp{ok(200, "The batch.", obj("import", batch))}},
		{method: "GET", path: "/api/v1/imports/{id}/errors", tag: "imports", summary: "A batch's row errors", who: "suppliers (their own), admin, cm",
			params: paged(id), resps: []resp{ok(200, "A page of rejected cells with their fixes, in row order.", d.page(imports.RowError{}, true))}},
		{method: "GET", path: "/api/v1/imports/{id}/fix.xlsx", tag: "imports", summary: "The fix workbook", who: "suppliers (their own), admin, cm",
			desc:   "The rejected rows as written, with `errors` and `how to fix` columns; fixed, it can be uploaded again as it is.",
			params: []param{id}, resps: []resp{file("The workbook.", xlsxType)}},
		{method: "GET", path: "/api/v1/product-verdicts", tag: "products", summary: "Product search: one row per product with its verdicts", who: "admin, cm, suppliers (their own)",
			desc: "In SKU order, with the true `total` of the filter. `market`, `channel` and `code` pick the verdicts looked at; `verdict=blocked` is " +
				"blocked in at least one of them, `verdict=allowed` allowed in every one. With `format=csv` or `xlsx`, every product of the filter, " +
				"one column per market and channel.",
			params: []param{query("q", "string", "part of the name, brand, model, SKU or GTIN, any case"), supplierID, query("category", "string", "a category"),
				query("batch_id", "integer", "the products this import created or updated"),
				queryEnum("market", "look at this market's verdicts", "UK", "EU", "SG", "AU", "US"),
				queryEnum("channel", "look at this channel's verdicts; both when omitted", "retail", "procurement"),
				queryEnum("verdict", "blocked in one of them, or allowed in all", "allowed", "blocked"),
				query("code", "string", "look at the verdicts carrying this reason code (any case)"),
				query("support_end_month", "string", "YYYY-MM: security support ends that month"),
				param{name: "changed_since", in: "query", desc: "with verdict: became so on or after this date", schema: schema{"type": "string", "format": "date"}},
				pageLimit, cursor, queryEnum("format", "json (a page) when omitted", "json", "csv", "xlsx")},
			resps: []resp{{status: 200, desc: "A page of products, or the whole filter as a file.", content: map[string]schema{
				jsonType: d.page(verdicts.ProductVerdicts{}, true), csvType: {"type": "string"}, xlsxType: {"type": "string", "contentMediaType": xlsxType}}}},
			codes: map[int][]string{400: {"SEARCH_TOO_LONG", "UNKNOWN_MARKET", "UNKNOWN_CHANNEL", "UNKNOWN_VERDICT", "UNKNOWN_REASON", "INVALID_MONTH", "INVALID_DATE",
				"INVALID_FORMAT", "INVALID_PARAMETER"}}},
		{method: "GET", path: "/api/v1/blocked-products.xlsx", tag: "imports", summary: "Every blocked product as a fix workbook", who: "suppliers (their own), admin, cm",
			desc:   "The supplier's products blocked somewhere, in the template's columns, each offending cell highlighted; fixed, it can be uploaded as it is.",
			params: []param{query("supplier_id", "integer", "admin and cm: whose products (a supplier user gets its own)")},
			resps:  []resp{file("The workbook.", xlsxType)}, codes: map[int][]string{400: {"MISSING_SUPPLIER", "INVALID_PARAMETER"}}},
		{method: "GET", path: "/api/v1/template.xlsx", tag: "imports", summary: "The supplier template", who: "users",
			resps: []resp{file("The template with drop-downs.", xlsxType)}},

		{method: "GET", path: "/api/v1/schemes", tag: "registries", summary: "Label schemes", who: "users",
			params: paged(), resps: []resp{ok(200, "A page of schemes.", d.page(registry.Scheme{}, true))}},
		{method: "GET", path: "/api/v1/schemes/comparison", tag: "registries", summary: "Scheme comparison", who: "admin, cm",
			desc: "For every label scheme: labelled products, valid (expiring included), suspended, revoked, expired, expiring within 90 days and " +
				"the median days of validity left, overall and per category, with the tier table's basis; and for every pair of schemes, how the " +
				"products labelled by both agree (same tier, one higher, validity disagrees). As JSON, or a CSV or XLSX download.",
			params: []param{queryEnum("format", "json when omitted", "json", "csv", "xlsx")},
			resps: []resp{{status: 200, desc: "The comparison.", content: map[string]schema{
				jsonType: d.t(policy.Comparison{}), csvType: {"type": "string"}, xlsxType: {"type": "string", "contentMediaType": xlsxType}}}},
			codes: map[int][]string{400: {"INVALID_FORMAT"}}},
		{method: "GET", path: "/api/v1/schemes/{code}/snapshots", tag: "registries", summary: "A scheme's snapshots", who: "users",
			params: paged(code), resps: []resp{ok(200, "A page of its snapshots, newest first.", d.page(registry.Snapshot{}, true))}},
		{method: "POST", path: "/api/v1/schemes/{code}/snapshots", tag: "registries", summary: "Upload a registry snapshot", who: "admin",
			desc: "CSV, XLSX or JSON as the body or the multipart field `file`. A file with any unreadable row is refused whole and the last " +
				"good snapshot stays. Verdicts are recomputed.",
			params: []param{code, query("map", "string", "canonical=source,… for other layouts"), queryEnum("sample", "true: demo data, marked as such", "true", "false")},
			body:   &body{content: upload, required: true},
			resps:  []resp{ok(201, "The snapshot with its diff.", obj("snapshot", snapshot, "recomputed", describe(stats, recomputed))), partial(d, "snapshot", snapshot)},
			codes:  map[int][]string{400: {"INVALID_PARAMETER", "INVALID_MAPPING", "UNREADABLE_REGISTRY", "EMPTY_REGISTRY", "MISSING_FILE", "EMPTY_FILE"}, 404: {"UNKNOWN_SCHEME"}, 413: {"FILE_TOO_LARGE"}}},
		{method: "GET", path: "/api/v1/snapshots/{id}", tag: "registries", summary: "One snapshot with its diff", who: "users",
			params: []param{id}, resps: []resp{ok(200, "The snapshot.", obj("snapshot", snapshot))}},
		{method: "GET", path: "/api/v1/snapshots/{id}/entries", tag: "registries", summary: "A snapshot's entries", who: "users",
			params: paged(id), resps: []resp{ok(200, "A page of the entries.", d.page(registry.Entry{}, true))}},
		{method: "GET", path: "/api/v1/sources", tag: "registries", summary: "Registry sources", who: "admin",
			params: paged(), resps: []resp{ok(200, "A page of the sources and their last fetch.", d.page(registry.Source{}, true))}},
		{method: "POST", path: "/api/v1/schemes/{code}/sources", tag: "registries", summary: "Add a registry source", who: "admin",
			params: []param{code}, body: sourceBody, resps: []resp{ok(201, "The source.", obj("source", d.t(registry.Source{})))},
			codes: map[int][]string{400: {"INVALID_URL", "INVALID_SCHEDULE", "INVALID_MAPPING"}, 404: {"UNKNOWN_SCHEME"}}},
		{method: "POST", path: "/api/v1/sources/{id}/refresh", tag: "registries", summary: "Fetch a source now", who: "admin",
			desc:   "A failing fetch keeps the last good snapshot, is recorded on the source and answers 503. Verdicts are recomputed.",
			params: []param{id}, resps: []resp{ok(201, "The new snapshot.", obj("snapshot", snapshot, "recomputed", describe(stats, recomputed))), partial(d, "snapshot", snapshot)}},

		{method: "GET", path: "/api/v1/facts", tag: "verdicts", summary: "A product's security facts as JSON-LD",
			who: "users (suppliers their own); anyone, for products allowed in the market's retail channel, when the deployment makes cards public", optionalAuth: true,
			desc: "The security facts card of the product with this GTIN in this market (its retail verdict, security updates until, passwords, " +
				"how to report a vulnerability, labels with their tier, recalls, the baseline law), as a schema.org `Product` whose " +
				"`additionalProperty` values are the card's lines, each naming the ETSI EN 303 645 provisions and NISTIR 8425 outcomes it evidences. " +
				"A supplier sees only its own products' (and, with public cards, the public ones). The same card is the HTML fragment `/facts/{gtin}?market=` " +
				"and the badge `/facts/{gtin}/badge.svg?market=`. Cards are behind sign-in (401 without credentials) unless the server runs with " +
				"`--public-facts`: then a caller without credentials gets the card of a GTIN the gate allows in the market's retail channel, with " +
				"`Cache-Control: public, max-age=300` and `Access-Control-Allow-Origin: *`, and `UNKNOWN_PRODUCT` (404) for a blocked, disputed, " +
				"not offered or unknown one alike. Every other answer is `Cache-Control: private, no-store`.",
			params: []param{required(query("gtin", "string", "8 to 14 digits with a valid check digit")), required(market)},
			resps:  []resp{{status: 200, desc: "The card.", content: map[string]schema{"application/ld+json": d.t(verdicts.ProductLD{})}}},
			codes:  map[int][]string{400: {"INVALID_GTIN", "UNKNOWN_MARKET"}, 404: {"UNKNOWN_PRODUCT"}}},
		{method: "GET", path: "/api/v1/recalls", tag: "recalls", summary: "Recall lists", who: "users",
			desc:  "Every recall list (a registry of kind `recalls`) with its latest snapshot; its snapshots and entries are read like a scheme's.",
			resps: []resp{ok(200, "The lists: one page.", d.page(registry.RecallList{}, true))}},
		{method: "POST", path: "/api/v1/recalls/{code}/snapshots", tag: "recalls", summary: "Upload a recall list snapshot", who: "admin",
			desc: "CPSC Recalls API JSON records (`?format=cpsc`) or the canonical CSV/XLSX layout (authority, recall_id, date, markets, hazard, " +
				"url, gtin, brand, model, title) as the body or the multipart field `file`. A file with any unreadable row is refused whole and the " +
				"last good snapshot stays. Only the products the snapshot can affect are re-evaluated.",
			params: []param{code, queryEnum("format", "cpsc: CPSC Recalls API records; omitted: the canonical layout", "cpsc"),
				query("map", "string", "canonical=source,… for other layouts"), queryEnum("sample", "true: demo data, marked as such", "true", "false")},
			body:  &body{content: upload, required: true},
			resps: []resp{ok(201, "The snapshot with its diff (revoked: recalls withdrawn).", obj("snapshot", snapshot, "recomputed", describe(stats, recomputed))), partial(d, "snapshot", snapshot)},
			codes: map[int][]string{400: {"INVALID_PARAMETER", "NOT_A_RECALL_LIST", "UNKNOWN_FORMAT", "INVALID_MAPPING", "UNREADABLE_REGISTRY", "EMPTY_REGISTRY", "MISSING_FILE", "EMPTY_FILE"},
				404: {"UNKNOWN_SCHEME"}, 413: {"FILE_TOO_LARGE"}}},
		{method: "POST", path: "/api/v1/recalls/{code}/sources", tag: "recalls", summary: "Add a recall list source", who: "admin",
			desc:   "Fetched on its schedule like a registry source (`POST /api/v1/sources/{id}/refresh` fetches it now).",
			params: []param{code}, body: recallSourceBody, resps: []resp{ok(201, "The source.", obj("source", d.t(registry.Source{})))},
			codes: map[int][]string{400: {"INVALID_PARAMETER", "NOT_A_RECALL_LIST", "UNKNOWN_FORMAT", "INVALID_URL", "INVALID_SCHEDULE"}, 404: {"UNKNOWN_SCHEME"}}},

		{method: "GET", path: "/api/v1/policies", tag: "policies", summary: "Policy versions", who: "users",
			params: paged(), resps: []resp{ok(200, "A page of versions, newest first.", d.page(policy.Version{}, true))}},
		{method: "POST", path: "/api/v1/policies", tag: "policies", summary: "Upload a policy version", who: "admin",
			desc:  "The policy document is the body (at most 2 MB); it is stored inactive.",
			body:  &body{content: map[string]schema{jsonType: d.t(policy.Document{})}, required: true},
			resps: []resp{ok(201, "The version.", obj("policy", policyVersion))},
			codes: map[int][]string{400: {"INVALID_POLICY"}, 409: {"ALREADY_EXISTS"}}},
		{method: "GET", path: "/api/v1/policies/{version}", tag: "policies", summary: "A policy version and its document", who: "users",
			params: []param{version}, resps: []resp{ok(200, "The version.", obj("policy", policyVersion, "document", nullable(d.t(policy.Document{}))))}},
		{method: "GET", path: "/api/v1/policies/{version}/document", tag: "policies", summary: "A policy version's document, as a file", who: "users",
			desc:   "The document exactly as it was uploaded, as an attachment: edit it, give it a new `version` and upload it with `POST /api/v1/policies`.",
			params: []param{version}, resps: []resp{{status: 200, desc: "The document.", content: map[string]schema{jsonType: d.t(policy.Document{})}}}},
		{method: "GET", path: "/api/v1/policies/{version}/diff", tag: "policies", summary: "What a policy version changes, rule by rule", who: "users",
			desc:   "Compares the version with `against` (the active version when omitted): each rule (by code), market and scheme's tiers added, removed or changed, field by field.",
			params: []param{version, query("against", "string", "the version to compare with; the active one when omitted")},
			resps:  []resp{ok(200, "The differences.", obj("from", schema{"type": "string"}, "to", schema{"type": "string"}, "changes", d.list(policy.Change{})))}},
		{method: "POST", path: "/api/v1/policies/{version}/activate", tag: "policies", summary: "Activate a policy version", who: "admin",
			desc: "Verdicts are recomputed.", params: []param{version},
			resps: []resp{ok(200, "The active version.", obj("policy", policyVersion, "recomputed", describe(stats, recomputed))), partial(d, "policy", policyVersion)}},
		{method: "GET", path: "/api/v1/impact", tag: "policies", summary: "Impact preview", who: "admin, cm",
			desc:   "Counts, per market and channel, the verdicts a policy version would flip as of a date, and lists them; nothing is stored.",
			params: []param{query("policy", "string", "a stored version; the active one when omitted"), asOf},
			resps:  []resp{ok(200, "The preview.", obj("impact", d.t(verdicts.Impact{})))},
			codes:  map[int][]string{400: {"INVALID_DATE"}}},
		{method: "POST", path: "/api/v1/evaluate", tag: "verdicts", summary: "Recompute every verdict now", who: "admin",
			resps: []resp{ok(200, "The re-evaluation.", obj("recomputed", stats))}},

		{method: "GET", path: "/api/v1/verdicts", tag: "verdicts", summary: "Stored verdicts", who: "users (suppliers their own)",
			desc:   "With `as_of`, a forecast for that date. Pages carry no total (the reason filter is applied as they are read).",
			params: paged(market, channels, queryEnum("verdict", "a verdict", "allowed", "blocked"), query("code", "string", "a reason code"), supplierID, asOf),
			resps:  []resp{ok(200, "A page of verdicts.", d.page(verdicts.Row{}, false))},
			codes:  map[int][]string{400: {"INVALID_DATE", "UNKNOWN_MARKET", "UNKNOWN_CHANNEL", "UNKNOWN_VERDICT", "UNKNOWN_REASON", "SEARCH_TOO_LONG"}}},
		{method: "GET", path: "/api/v1/verdicts/changes", tag: "verdicts", summary: "The change feed", who: "users (suppliers their own)",
			desc: "Every change of a verdict or of its reason codes (`codes`), `withdrawn` included, oldest first. Unlike other lists, `next_cursor` is never null: " +
				"poll again with it; an empty page means nothing changed since.",
			params: paged(),
			resps:  []resp{ok(200, "The changes after the cursor.", d.feed(verdicts.Change{}))}},
		{method: "GET", path: "/api/v1/verdicts/upcoming", tag: "verdicts", summary: "Upcoming blocks", who: "admin, cm, supplier (their own)",
			desc: "The verdicts allowed today that will turn blocked within the notice period, soonest first, each with the date and the reasons " +
				"that will block it: known in advance from the support end, label expiries and the rules' effective dates. `month` and `code` pick " +
				"a cell of the calendar (`/api/v1/verdicts/upcoming/calendar`): its number is this list's `total`. Paged by position; " +
				"`format=csv` is every one of them in one download, `cascade-upcoming-blocks.csv`.",
			params: paged(query("within", "string", "a number of days such as 90d (default; with month, as far as the outlook looks), at most 366d"),
				query("month", "string", "YYYY-MM: blocks in that month"), query("code", "string", "a reason that will block it"),
				market, channels, supplierID, queryEnum("format", "json when omitted", "json", "csv")),
			resps: []resp{{status: 200, desc: "A page of upcoming blocks with its total, or all of them as CSV.", content: map[string]schema{
				jsonType: d.page(verdicts.Upcoming{}, true), csvType: {"type": "string"}}}},
			codes: map[int][]string{400: {"INVALID_WITHIN", "INVALID_MONTH", "UNKNOWN_REASON", "UNKNOWN_MARKET", "UNKNOWN_CHANNEL", "INVALID_PARAMETER", "INVALID_FORMAT"}}},
		{method: "GET", path: "/api/v1/verdicts/upcoming/calendar", tag: "verdicts", summary: "The calendar of upcoming blocks", who: "admin, cm, supplier (their own)",
			desc: "The upcoming blocks counted by the month they turn blocked (this month first) and by reason: verdicts, as the list counts them. " +
				"A verdict two reasons will block counts under each, once in its month's `totals`. The list behind a cell is " +
				"`/api/v1/verdicts/upcoming?month=&code=` with the same filters. `known_through`, when set, is the last day the active policy's " +
				"outlook looks at: the months after it may count too few.",
			params: []param{query("months", "integer", "this month and the next months-1, 1 to 12 (default 12)"), market, channels, supplierID},
			resps:  []resp{ok(200, "The calendar.", d.t(verdicts.Calendar{}))},
			codes:  map[int][]string{400: {"INVALID_MONTHS", "UNKNOWN_MARKET", "UNKNOWN_CHANNEL", "INVALID_PARAMETER"}}},
		{method: "GET", path: "/api/v1/products/{id}/verdicts", tag: "verdicts", summary: "One product's verdicts with evidence", who: "users (suppliers their own)",
			params: []param{id}, resps: []resp{ok(200, "The product's verdicts, one a market and channel: always one page.", d.page(verdicts.Stored{}, true))}},
		{method: "GET", path: "/api/v1/gate", tag: "verdicts", summary: "The gate", who: "users",
			desc: "May this GTIN be listed (retail) or bought (procurement) in this market? It fails closed: an unknown GTIN (`UNKNOWN_PRODUCT`), " +
				"one not offered in the market (`NOT_OFFERED`) and one whose every offer is disputed (`GTIN_DISPUTED`) are blocked.",
			params: []param{required(query("gtin", "string", "8 to 14 digits with a valid check digit; answered as 14")), required(market), channel,
				query("supplier", "integer", "judge this supplier's offer; without it the undisputed offers decide")},
			resps: []resp{ok(200, "The decision.", d.t(verdicts.GateAnswer{}))},
			codes: map[int][]string{400: {"INVALID_GTIN", "UNKNOWN_MARKET", "UNKNOWN_CHANNEL"}}},
		{method: "GET", path: "/api/v1/listings", tag: "verdicts", summary: "The listing feed", who: "users",
			desc: "Lists an offer exactly when the gate allows it and its GTIN, with the security facts its card shows in the market " +
				"(`password_model`, `passwords`, `vuln_report_contact`, `tier`, `labels`, `recalls`, `baseline_law`) and the card's `facts_url` " +
				"(absolute under the server's `--public-url`). JSON is paged; CSV and XLSX are the whole feed in one download, " +
				"named `cascade-listings-<market>-<channel>`, the labels and recalls as `; `-separated text.",
			params: paged(required(market), channel, queryEnum("format", "json when omitted", "json", "csv", "xlsx")),
			resps: []resp{{status: 200, desc: "The feed.", content: map[string]schema{
				jsonType: d.page(verdicts.Listing{}, false),
				csvType:  {"type": "string"}, xlsxType: {"type": "string", "contentMediaType": xlsxType}}}},
			codes: map[int][]string{400: {"INVALID_FORMAT", "UNKNOWN_MARKET", "UNKNOWN_CHANNEL"}}},

		{method: "GET", path: "/api/v1/disputes", tag: "disputes", summary: "The dispute queue", who: "admin, cm",
			params: paged(queryEnum("status", "a dispute status", "open", "accepted", "rejected"), query("gtin", "string", "a GTIN")),
			resps:  []resp{ok(200, "A page of disputes, oldest first.", d.page(offers.Dispute{}, true))}, codes: map[int][]string{400: {"UNKNOWN_STATUS"}}},
		{method: "GET", path: "/api/v1/disputes/{id}", tag: "disputes", summary: "One dispute, both sides", who: "admin, cm",
			params: []param{id}, resps: []resp{ok(200, "The dispute.", obj("dispute", dispute))}},
		{method: "POST", path: "/api/v1/disputes/{id}/accept", tag: "disputes", summary: "Accept: judge the offer on its own data", who: "admin, cm",
			params: []param{id}, body: disputeNote, resps: []resp{ok(200, "The decided dispute.", obj("dispute", dispute))},
			codes: map[int][]string{400: {"NOTE_TOO_LONG"}, 409: {"DISPUTE_CLOSED", "DISPUTE_SUPERSEDED"}}},
		{method: "POST", path: "/api/v1/disputes/{id}/reject", tag: "disputes", summary: "Reject: keep the offer blocked", who: "admin, cm",
			params: []param{id}, body: disputeNote, resps: []resp{ok(200, "The decided dispute.", obj("dispute", dispute))},
			codes: map[int][]string{400: {"NOTE_TOO_LONG"}, 409: {"DISPUTE_CLOSED", "DISPUTE_SUPERSEDED"}}},

		{method: "GET", path: "/api/v1/procurement/catalogue", tag: "procurement", summary: "Products buyable in a market", who: "buyers, approvers, admin",
			params: paged(required(market), queryEnum("all", "true: add the others, with why they are not eligible", "true", "false"), query("q", "string", "text in the name, brand, model, SKU, GTIN or supplier, ignoring case")),
			resps:  []resp{ok(200, "A page of products with their procurement verdicts, names and prices.", d.page(procurement.CatalogueItem{}, false))},
			codes:  map[int][]string{400: {"UNKNOWN_MARKET", "INVALID_PARAMETER", "SEARCH_TOO_LONG"}}},
		{method: "POST", path: "/api/v1/procurement/check", tag: "procurement", summary: "The gate for an order raised in another system", who: "buyers, approvers, admin",
			desc: "Each line's procurement decision (allowed, blocked or waived) as of its delivery date, with reasons, fixes and the caller's organisation's covering waivers. " +
				"Nothing is stored but an audit entry. A line whose product cannot be named for sure is blocked with that reason (`UNKNOWN_PRODUCT`, `AMBIGUOUS_PRODUCT`).",
			body: d.request(externalOrderRequest{}, []string{"market", "lines"}, map[string]string{
				"market": "UK, EU, SG, AU or US", "lines": "at most 5,000; each names the product by gtin (with supplier_id when several suppliers offer it) or by supplier_id and sku, with quantity and delivery_date"}),
			resps: []resp{ok(200, "Each line's decision.", obj("lines", d.list(procurement.LineDecision{})))},
			codes: map[int][]string{400: {"UNKNOWN_MARKET", "EMPTY_ORDER", "INVALID_QUANTITY", "MISSING_DELIVERY_DATE", "DELIVERY_IN_THE_PAST", "DELIVERY_TOO_FAR"}, 413: {"TOO_MANY_LINES"}}},
		{method: "GET", path: "/api/v1/purchase-orders", tag: "procurement", summary: "List orders", who: "buyers, approvers (their organisation's), admin",
			params: paged(), resps: []resp{ok(200, "A page of orders, newest first.", d.page(procurement.Order{}, true))}},
		{method: "POST", path: "/api/v1/purchase-orders", tag: "procurement", summary: "Open an order", who: "buyers",
			body: d.request(createOrderRequest{}, []string{"reference", "market"}, map[string]string{
				"reference": "the buyer's reference, 1 to 100 characters", "market": "UK, EU, SG, AU or US"}),
			resps: []resp{ok(201, "The draft order.", obj("purchase_order", order))},
			codes: map[int][]string{400: {"INVALID_REFERENCE", "UNKNOWN_MARKET"}}},
		{method: "GET", path: "/api/v1/purchase-orders/{id}", tag: "procurement", summary: "One order with its lines", who: "buyers, approvers (their organisation's), admin",
			params: []param{id}, resps: []resp{ok(200, "The order.", obj("purchase_order", order))}},
		{method: "POST", path: "/api/v1/purchase-orders/{id}/lines", tag: "procurement", summary: "Add a line", who: "buyers",
			desc:   "By `gtin`, or by `supplier_id` and `sku`. A GTIN several suppliers offer needs `supplier_id` (400 `AMBIGUOUS_PRODUCT` lists the offers).",
			params: []param{id}, body: lineBody, resps: []resp{ok(201, "The order with the line.", obj("purchase_order", order))},
			codes: map[int][]string{400: {"AMBIGUOUS_PRODUCT", "INVALID_GTIN", "MISSING_PRODUCT", "INVALID_QUANTITY", "INVALID_UNIT_PRICE", "INVALID_CURRENCY",
				"MISSING_CURRENCY", "MISSING_DELIVERY_DATE", "DELIVERY_IN_THE_PAST", "DELIVERY_TOO_FAR", "VERSION_REQUIRED"}, 404: {"UNKNOWN_PRODUCT"}, 409: {"ORDER_CHANGED"}, 413: {"TOO_MANY_LINES"}}},
		{method: "DELETE", path: "/api/v1/purchase-orders/{id}/lines/{line}", tag: "procurement", summary: "Remove a line", who: "buyers",
			params: []param{id, {name: "line", in: "path", desc: "the line number", schema: schema{"type": "integer"}, required: true},
				required(query("version", "integer", "the order's version as last read"))},
			resps: []resp{ok(200, "The order without the line.", obj("purchase_order", order))}, codes: map[int][]string{400: {"VERSION_REQUIRED"}, 409: {"ORDER_CHANGED"}}},
		{method: "GET", path: "/api/v1/purchase-orders/{id}/check", tag: "procurement", summary: "Gate every line now", who: "buyers, approvers, admin",
			params: []param{id}, resps: []resp{ok(200, "Each line's decision as of its delivery date.", obj("lines", d.list(procurement.LineCheck{})))}},
		{method: "POST", path: "/api/v1/purchase-orders/{id}/submit", tag: "procurement", summary: "Submit an order", who: "buyers",
			desc:   "Every line must pass the gate: the 409 `ORDER_BLOCKED` lists every blocked line with its codes and fix hints.",
			params: []param{id}, body: orderVersion, resps: []resp{ok(200, "The submitted order.", obj("purchase_order", order))},
			codes: map[int][]string{400: {"EMPTY_ORDER", "VERSION_REQUIRED"}, 409: {"ORDER_CHANGED", "ORDER_BLOCKED"}}},
		{method: "POST", path: "/api/v1/purchase-orders/{id}/approve", tag: "procurement", summary: "Approve an order", who: "approvers",
			desc:   "The gate runs again; approval records each line's product, decision and evidence for the evidence pack.",
			params: []param{id}, body: orderVersion, resps: []resp{ok(200, "The approved order.", obj("purchase_order", order))},
			codes: map[int][]string{400: {"VERSION_REQUIRED"}, 409: {"ORDER_CHANGED", "ORDER_BLOCKED"}}},
		{method: "POST", path: "/api/v1/purchase-orders/{id}/reject", tag: "procurement", summary: "Reject an order", who: "approvers",
			params: []param{id}, body: orderVersion, resps: []resp{ok(200, "The rejected order.", obj("purchase_order", order))},
			codes: map[int][]string{400: {"VERSION_REQUIRED"}, 409: {"ORDER_CHANGED"}}},
		{method: "POST", path: "/api/v1/purchase-orders/{id}/cancel", tag: "procurement", summary: "Cancel an order", who: "buyers",
			params: []param{id}, body: orderVersion, resps: []resp{ok(200, "The cancelled order.", obj("purchase_order", order))},
			codes: map[int][]string{400: {"VERSION_REQUIRED"}, 409: {"ORDER_CHANGED"}}},
		{method: "GET", path: "/api/v1/purchase-orders/{id}/evidence", tag: "procurement", summary: "The printable evidence pack", who: "buyers, approvers, admin",
			params: []param{id}, resps: []resp{file("The evidence pack as a page.", htmlType)}, codes: map[int][]string{409: {"ORDER_NOT_APPROVED"}}},
		{method: "GET", path: "/api/v1/purchase-orders/{id}/evidence.xlsx", tag: "procurement", summary: "The evidence pack as XLSX", who: "buyers, approvers, admin",
			params: []param{id}, resps: []resp{file("The evidence pack.", xlsxType)}, codes: map[int][]string{409: {"ORDER_NOT_APPROVED"}}},
		{method: "GET", path: "/api/v1/waivers", tag: "procurement", summary: "List waivers", who: "buyers, approvers (their organisation's), admin",
			params: paged(), resps: []resp{ok(200, "A page of waivers, newest first.", d.page(procurement.Waiver{}, true))}},
		{method: "POST", path: "/api/v1/waivers", tag: "procurement", summary: "Request a waiver", who: "buyers",
			desc: "For one product, one market and the blocking codes it names; decided by an approver of the organisation, never the requester.",
			body: waiverBody, resps: []resp{ok(201, "The requested waiver.", obj("waiver", waiver))},
			codes: map[int][]string{400: {"UNKNOWN_MARKET", "MISSING_CODES", "MISSING_JUSTIFICATION", "INVALID_EXPIRY"}, 404: {"UNKNOWN_PRODUCT"}}},
		{method: "GET", path: "/api/v1/waivers/{id}", tag: "procurement", summary: "One waiver", who: "buyers, approvers (their organisation's), admin",
			params: []param{id}, resps: []resp{ok(200, "The waiver.", obj("waiver", waiver))}},
		{method: "POST", path: "/api/v1/waivers/{id}/approve", tag: "procurement", summary: "Approve a waiver", who: "approvers (never their own)",
			params: []param{id}, body: decision, resps: []resp{ok(200, "The approved waiver.", obj("waiver", waiver))},
			codes: map[int][]string{400: {"INVALID_EXPIRY", "NOTE_TOO_LONG"}, 403: {"OWN_WAIVER"}, 409: {"WAIVER_DECIDED", "PRODUCT_CHANGED"}}},
		{method: "POST", path: "/api/v1/waivers/{id}/refuse", tag: "procurement", summary: "Refuse a waiver", who: "approvers",
			desc:   "A refusal needs its reason in `note`: the buyer reads it.",
			params: []param{id}, body: decision, resps: []resp{ok(200, "The refused waiver.", obj("waiver", waiver))},
			codes: map[int][]string{400: {"MISSING_REASON", "NOTE_TOO_LONG"}, 403: {"OWN_WAIVER"}, 409: {"WAIVER_DECIDED"}}},

		{method: "POST", path: "/api/v1/webhooks", tag: "webhooks", summary: "Subscribe a URL to events", who: "admin; suppliers (their own supplier's events)",
			desc: "Answers the subscription with its signing `secret`, shown this once. Deliveries are JSON POSTs carrying `Cascade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">`, " +
				"`Cascade-Event` and `Cascade-Delivery` (the idempotency id); see docs/api.md#verifying-a-signature.",
			body: d.request(subscribeRequest{}, []string{"url", "events"}, map[string]string{
				"url":    "an http(s) URL outside the internal networks (unless --allow-outbound-networks allows them)",
				"events": "verdict.changed, import.finished, dispute.opened, dispute.resolved, verdict.upcoming_block, registry.refresh_failed"}),
			resps: []resp{ok(201, "The subscription and its secret.", obj("webhook", d.t(notify.Subscription{}), "secret", schema{"type": "string"}, "note", schema{"type": "string"}))},
			codes: map[int][]string{400: {"INVALID_URL", "NO_EVENTS", "UNKNOWN_EVENT"}, 403: {"EVENT_NOT_ALLOWED"}}},
		{method: "GET", path: "/api/v1/webhooks", tag: "webhooks", summary: "The caller's subscriptions", who: "admin; suppliers (their own)",
			params: paged(), resps: []resp{ok(200, "A page of subscriptions, their secrets left out.", d.page(notify.Subscription{}, true))}},
		{method: "DELETE", path: "/api/v1/webhooks/{id}", tag: "webhooks", summary: "Unsubscribe", who: "admin; suppliers (their own)",
			params: []param{id}, resps: []resp{noContent}},
		{method: "GET", path: "/api/v1/webhooks/{id}/deliveries", tag: "webhooks", summary: "The delivery log, newest first", who: "admin; suppliers (their own)",
			params: paged(id),
			resps:  []resp{ok(200, "A page of deliveries: status, attempts, the last status code.", d.page(notify.Delivery{}, true))}},
		{method: "POST", path: "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", tag: "webhooks", summary: "Send a delivery again", who: "admin; suppliers (their own)",
			params: []param{id, {name: "delivery", in: "path", desc: "the delivery's id", schema: schema{"type": "integer"}, required: true}},
			resps:  []resp{ok(202, "The delivery, queued again with the same idempotency id.", obj("delivery", d.t(notify.Delivery{})))}},

		{method: "GET", path: "/api/v1/audit", tag: "audit", summary: "Audit entries, newest first", who: "admin",
			params: paged(query("entity", "string", "an entity type"), query("entity_id", "string", "an entity's id"), query("actor", "string", "who acted")),
			resps:  []resp{ok(200, "A page of entries, newest first (no total: the log only grows).", d.page(audit.Entry{}, false))}},
		{method: "GET", path: "/api/v1/audit/verify", tag: "audit", summary: "Verify the hash chain", who: "admin",
			resps: []resp{ok(200, "The verification.", obj("report", d.t(audit.Report{})))}, codes: map[int][]string{409: {"AUDIT_CHAIN_BROKEN"}}},
	}
}

// shared are the error codes any operation may answer, by status.
var shared = map[int][]string{
	400: {"MALFORMED_JSON", "EMPTY_BODY", "UNKNOWN_FIELD", "INVALID_FIELD_TYPE", "INVALID_PARAMETER"},
	401: {"UNAUTHENTICATED", "TOKEN_INVALID", "TOKEN_EXPIRED", "TOKEN_REVOKED", "SESSION_EXPIRED", "SESSION_INVALID"},
	403: {"FORBIDDEN", "CSRF_TOKEN_INVALID"},
	404: {"NOT_FOUND"},
	413: {"BODY_TOO_LARGE"},
	415: {"UNSUPPORTED_MEDIA_TYPE"},
	500: {"INTERNAL"},
	503: {"DB_UNAVAILABLE", "SCHEMA_OUTDATED"},
}

var statusText = map[int]string{
	400: "Invalid input.", 401: "Not signed in.", 403: "Not allowed for the caller's role (or a cookie request without its CSRF token).",
	404: "No such record, or not the caller's.", 409: "The record's state forbids it.", 413: "Too large.", 415: "Not sent as the media type this endpoint takes.",
	429: "Throttled; `Retry-After` says when to try again.", 500: "Our fault: the message quotes the request id.",
	503: "Unavailable right now (`Retry-After`).",
}

// errorStatuses are the error statuses op may answer and their codes.
func (o op) errorStatuses() map[int][]string {
	out := map[int][]string{500: shared[500], 503: shared[503]}
	if !o.anonymous {
		out[401], out[403] = shared[401], shared[403]
	}
	if o.body != nil || len(o.params) > 0 {
		out[400] = shared[400]
	}
	if strings.Contains(o.path, "{") || o.body != nil || len(o.params) > 0 {
		out[404] = shared[404] // the record named by the path, the query or the body
	}
	if o.body != nil {
		out[413] = shared[413]
		if _, ok := o.body.content[jsonType]; ok {
			out[415] = shared[415]
		}
	}
	for _, p := range o.params {
		if p.name == "cursor" {
			out[400] = append(append([]string(nil), out[400]...), "INVALID_LIMIT", "INVALID_CURSOR")
		}
	}
	for st, codes := range o.codes {
		out[st] = append(append([]string(nil), out[st]...), codes...)
	}
	return out
}

// buildOpenAPI writes the document, indented and with its keys sorted.
func buildOpenAPI() ([]byte, error) {
	d := doc{s: newSchemas()}
	ops := d.operations()
	d.s.components["Error"] = schema{
		"type": "object", "required": []string{"error"}, "description": "The one error shape of the whole API.",
		"properties": schema{"error": schema{"type": "object", "required": []string{"code", "message"}, "properties": schema{
			"code":    schema{"type": "string", "description": "what went wrong, for programs, e.g. UNKNOWN_FIELD"},
			"message": schema{"type": "string", "description": "what went wrong and what to do, for people"},
			"details": schema{"description": "field errors ({field, message}), or the offers of an ambiguous GTIN, or the blocked lines of an order"},
		}}},
	}
	paths := schema{}
	for _, o := range ops {
		item, _ := paths[o.path].(schema)
		if item == nil {
			item = schema{}
			paths[o.path] = item
		}
		if _, dup := item[strings.ToLower(o.method)]; dup {
			return nil, fmt.Errorf("%s %s twice", o.method, o.path)
		}
		item[strings.ToLower(o.method)] = o.operation()
	}
	document := schema{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": schema{
			"title":   "Cascade API",
			"version": "1",
			"summary": "The retailer and procurement gate for connected products.",
			"description": "Suppliers upload SKU spreadsheets; products are checked against security laws and label registries; non-compliant ones " +
				"are blocked from retail listings and public purchase orders. JSON bodies are read strictly: `Content-Type: application/json`, " +
				"exactly one value, no unknown fields. Every error has one shape (`Error`) with a status that matches. Who may call what is " +
				"said on each operation (roles: admin, category manager (cm), buyer, approver, supplier; a supplier user sees only its own " +
				"supplier's records, another's is a 404).",
		},
		"servers": []schema{{"url": "/"}},
		"tags": []schema{
			{"name": "documentation"}, {"name": "sessions"}, {"name": "users"}, {"name": "tokens"}, {"name": "suppliers"}, {"name": "products"},
			{"name": "imports"}, {"name": "registries"}, {"name": "recalls"}, {"name": "policies"}, {"name": "verdicts"}, {"name": "disputes"},
			{"name": "procurement"}, {"name": "webhooks"}, {"name": "audit"},
		},
		"security": []schema{{"bearer": []string{}}, {"session": []string{}}},
		"paths":    paths,
		"components": schema{
			"schemas": d.s.components,
			"securitySchemes": schema{
				"bearer": schema{"type": "http", "scheme": "bearer", "description": "An API token (`cas_…`): `POST /api/v1/tokens` or `cascade token create`."},
				"session": schema{"type": "apiKey", "in": "cookie", "name": SessionCookie,
					"description": "The browser session of `POST /api/v1/session`; every state-changing request made with it sends the answer's `csrf_token` as `X-CSRF-Token`."},
			},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(document); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (o op) operation() schema {
	out := schema{
		"operationId": operationID(o.method, o.path),
		"summary":     o.summary,
		"tags":        []string{o.tag},
		"x-roles":     o.who,
	}
	desc := "**Who:** " + o.who + "."
	if o.desc != "" {
		desc += "\n\n" + o.desc
	}
	out["description"] = desc
	if o.anonymous {
		out["security"] = []schema{}
	}
	if o.optionalAuth {
		out["security"] = []schema{{"bearer": []string{}}, {"session": []string{}}, {}}
	}
	if len(o.params) > 0 {
		ps := make([]schema, len(o.params))
		for i, p := range o.params {
			ps[i] = schema{"name": p.name, "in": p.in, "description": p.desc, "schema": p.schema}
			if p.required {
				ps[i]["required"] = true
			}
		}
		out["parameters"] = ps
	}
	if o.body != nil {
		content := schema{}
		for ct, s := range o.body.content {
			content[ct] = schema{"schema": s}
		}
		rb := schema{"content": content, "required": o.body.required}
		if o.body.desc != "" {
			rb["description"] = o.body.desc
		}
		out["requestBody"] = rb
	}
	responses := schema{}
	for _, r := range o.resps {
		rs := schema{"description": r.desc}
		if r.content != nil {
			content := schema{}
			for ct, s := range r.content {
				content[ct] = schema{"schema": s}
			}
			rs["content"] = content
		}
		if len(r.headers) > 0 {
			hs := schema{}
			for k, v := range r.headers {
				hs[k] = schema{"description": v, "schema": schema{"type": "string"}}
			}
			rs["headers"] = hs
		}
		responses[fmt.Sprint(r.status)] = rs
	}
	for st, codes := range o.errorStatuses() {
		text := statusText[st]
		if text == "" {
			text = http.StatusText(st)
		}
		rs := schema{
			"description": text + " Codes: `" + strings.Join(codes, "`, `") + "`.",
			"content":     schema{jsonType: schema{"schema": ref("Error")}},
			"x-codes":     codes,
		}
		if st == 429 || st == 503 {
			rs["headers"] = schema{"Retry-After": schema{"description": "seconds to wait", "schema": schema{"type": "integer"}}}
		}
		responses[fmt.Sprint(st)] = rs
	}
	out["responses"] = responses
	return out
}

// operationID is a stable name for generated clients: the method and the
// path's words, e.g. getPurchaseOrdersIdCheck.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range regexp.MustCompile(`[^A-Za-z0-9]+`).Split(strings.TrimPrefix(path, "/api/v1"), -1) {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// columnNames are the spreadsheet's columns a mapping may name.
func columnNames() []string {
	out := make([]string, len(imports.Columns))
	for i, c := range imports.Columns {
		out[i] = c.Name
	}
	return out
}

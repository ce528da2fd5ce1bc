package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// TestExportsNeverCarryFormulas lists a product whose supplier wrote
// spreadsheet formulas into its fields, in the listing feed's CSV and XLSX:
// the CSV cells carry SafeText's apostrophe, the XLSX cells are string
// cells holding the text as written. (The JSON feed, the evidence pack and
// the CLI's CSV are in hostile_exports_test.go and app/cli.)
func TestExportsNeverCarryFormulas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		path := filepath.Join(t.TempDir(), "evil.csv")
		os.WriteFile(path, []byte("sku,gtin,brand,model,name,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance\n"+
			`+SUM(1;2),9501101530003,@Acme,-M1,"=HYPERLINK(""http://evil.example"",""open"")",smart_plug,UK,unique_per_device,https://acme.example/s,2030-01-31,included`+"\n"), 0o600)
		im := imports.New(w.db, imports.DefaultLimits)
		im.OnCommit = verdicts.AfterImport
		ctx := access.With(context.Background(), access.System("test"))
		if b, err := im.Import(ctx, imports.Request{SupplierID: w.supplierA.ID, FileName: "evil.csv", Path: path}); err != nil || b.RowsCreated != 1 {
			t.Fatalf("import: %v %+v", err, b)
		}
		// The hostile fields in feed order: sku, brand, model, name (columns 2 to 6, gtin between).
		written := map[int]string{1: "+SUM(1;2)", 3: "@Acme", 4: "-M1", 5: `=HYPERLINK("http://evil.example","open")`}
		rec := w.request("category_manager", "GET", "/api/v1/listings?market=UK&format=csv", nil)
		rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv feed: %v %q", err, rec.Body.String())
		}
		for _, cell := range rows[1] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("CSV cell %q starts a formula", cell)
			}
		}
		for col, v := range written {
			if rows[1][col] != "'"+v { // as app/tabular.SafeText writes it
				t.Errorf("CSV column %s is %q, want %q", rows[0][col], rows[1][col], "'"+v)
			}
		}
		rec = w.request("category_manager", "GET", "/api/v1/listings?market=UK&format=xlsx", nil)
		f, err := excelize.OpenReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for col, v := range written {
			cell, _ := excelize.CoordinatesToCellName(col+1, 2)
			if formula, _ := f.GetCellFormula("Listings UK", cell); formula != "" {
				t.Errorf("XLSX %s is a formula: %s", cell, formula)
			}
			// A string cell is text to a spreadsheet whatever it starts with: it keeps the text as written.
			if typ, _ := f.GetCellType("Listings UK", cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
				t.Errorf("XLSX %s has cell type %d, not a string", cell, typ)
			}
			if got, _ := f.GetCellValue("Listings UK", cell); got != v {
				t.Errorf("XLSX %s is %q, want %q", cell, got, v)
			}
		}
	})
}

// hostileValues are what an attacker types into a filter: SQL quoting and
// comment tricks, statement stacking, LIKE wildcards and an escape character.
var hostileValues = []string{"' OR '1'='1", "'; DROP TABLE products; --", "%", "_", `\`, "\" OR 1=1 --", "1; DELETE FROM verdicts"}

// filterCase is one place a hostile value goes: the path has %s where the
// value goes, already escaped for a query string or a path segment.
type filterCase struct {
	method, path string
	role         string                            // who asks: the role that can see the most
	status       int                               // 200, or the 4xx of a refusal
	code         string                            // the error code of a refusal
	list         string                            // for a 200: the JSON member holding the list, which must come back empty
	matches      func(db *gorm.DB, v string) int64 // or hold this many rows, when v can match literally
	body         func(w *world) any
	headers      []string
}

const registryCSV = "label_id,brand,model,status\nCTM-1,Brand,M-1,valid\n"

func apiFilterCases() []filterCase {
	csvBody := func(*world) any { return []byte(registryCSV) }
	return []filterCase{
		{method: "GET", path: "/api/v1/products?q=%s", list: "products"},
		{method: "GET", path: "/api/v1/product-verdicts?q=%s", list: "products"},
		{method: "GET", path: "/api/v1/product-verdicts?category=%s", list: "products"},
		{method: "GET", path: "/api/v1/product-verdicts?code=%s", status: 400, code: "UNKNOWN_REASON"},
		{method: "GET", path: "/api/v1/products?category=%s", list: "products"},
		{method: "GET", path: "/api/v1/products?gtin=%s", list: "products"},
		// Filters no verdict can match are refused, as the gate and the listings refuse them.
		{method: "GET", path: "/api/v1/verdicts?market=%s", status: 400, code: "UNKNOWN_MARKET"},
		{method: "GET", path: "/api/v1/verdicts?channel=%[1]s&code=%[1]s", status: 400, code: "UNKNOWN_CHANNEL"},
		{method: "GET", path: "/api/v1/verdicts?code=%s", status: 400, code: "UNKNOWN_REASON"},
		{method: "GET", path: "/api/v1/verdicts?verdict=%s", status: 400, code: "UNKNOWN_VERDICT"},
		{method: "GET", path: "/api/v1/verdicts?market=%[1]s&verdict=%[1]s&as_of=2027-01-04", status: 400, code: "UNKNOWN_MARKET"}, // the forecast path
		{method: "GET", path: "/api/v1/verdicts?as_of=%s", status: 400, code: "INVALID_DATE"},
		{method: "GET", path: "/api/v1/audit?actor=%s", list: "entries", matches: actorsContaining},
		{method: "GET", path: "/api/v1/audit?entity=%s", list: "entries"},
		{method: "GET", path: "/api/v1/audit?entity_id=%s", list: "entries"},
		{method: "GET", path: "/api/v1/audit?entity=purchase_order&entity_id=%s", list: "entries"},
		{method: "GET", path: "/api/v1/imports?supplier_id=%s", status: 400, code: "INVALID_PARAMETER"},
		{method: "GET", path: "/api/v1/gate?gtin=%s&market=UK", status: 400, code: "INVALID_GTIN"},
		{method: "GET", path: "/api/v1/gate?gtin=00012345600012&market=%s", status: 400, code: "UNKNOWN_MARKET"},
		{method: "GET", path: "/api/v1/gate?gtin=00012345600012&market=UK&channel=%s", status: 400, code: "UNKNOWN_CHANNEL"},
		{method: "GET", path: "/api/v1/listings?market=%s", status: 400, code: "UNKNOWN_MARKET"},
		{method: "GET", path: "/api/v1/listings?market=UK&channel=%s", status: 400, code: "UNKNOWN_CHANNEL"},
		{method: "GET", path: "/api/v1/listings?market=UK&format=%s", status: 400, code: "INVALID_FORMAT"},
		{method: "GET", path: "/api/v1/procurement/catalogue?market=%s", status: 400, code: "UNKNOWN_MARKET"},
		{method: "GET", path: "/api/v1/procurement/catalogue?market=UK&q=%s&all=true", list: "products"},
		// all= anything but true or false is refused, not read as false.
		{method: "GET", path: "/api/v1/procurement/catalogue?market=UK&all=%s", status: 400, code: "INVALID_PARAMETER"},
		{method: "GET", path: "/api/v1/impact?policy=%s", status: 404, code: "NOT_FOUND"},
		{method: "GET", path: "/api/v1/impact?as_of=%s", status: 400, code: "INVALID_DATE"},
		{method: "POST", path: "/api/v1/schemes/SG-CLS/snapshots?map=%s", status: 400, code: "INVALID_MAPPING", body: csvBody, headers: []string{"Content-Type", "text/csv"}},
		// A well-formed mapping naming a hostile source column: the file has no such column.
		{method: "POST", path: "/api/v1/schemes/SG-CLS/snapshots?map=label_id%%3D%s", status: 400, code: "UNREADABLE_REGISTRY", body: csvBody, headers: []string{"Content-Type", "text/csv"}},
		// Path parameters.
		{method: "GET", path: "/api/v1/schemes/{%s}/snapshots", status: 404, code: "UNKNOWN_SCHEME"},
		{method: "POST", path: "/api/v1/schemes/{%s}/snapshots", status: 404, code: "UNKNOWN_SCHEME", body: csvBody, headers: []string{"Content-Type", "text/csv"}},
		{method: "POST", path: "/api/v1/schemes/{%s}/sources", status: 404, code: "UNKNOWN_SCHEME",
			body: func(*world) any { return map[string]string{"url": "https://registry.example/x.csv"} }},
		{method: "GET", path: "/api/v1/policies/{%s}", status: 404, code: "NOT_FOUND"},
		{method: "POST", path: "/api/v1/policies/{%s}/activate", status: 404, code: "NOT_FOUND"},
		{method: "GET", path: "/api/v1/products/{%s}", status: 404, code: "NOT_FOUND"},
		{method: "GET", path: "/api/v1/snapshots/{%s}/entries", status: 404, code: "NOT_FOUND"},
		{method: "GET", path: "/api/v1/purchase-orders/{%s}", role: "buyer", status: 404, code: "NOT_FOUND"},
		{method: "DELETE", path: "/api/v1/purchase-orders/1/lines/{%s}?version=1", role: "buyer", status: 404, code: "NOT_FOUND"},
	}
}

// actorsContaining counts the audit entries whose actor holds v as written:
// the actor filter is a substring search, so a literal _ may match, a wildcard never.
func actorsContaining(db *gorm.DB, v string) int64 {
	var actors []string
	db.Table("audit_entries").Order("seq DESC").Limit(100).Pluck("actor", &actors)
	var n int64
	for _, a := range actors {
		if strings.Contains(a, v) {
			n++
		}
	}
	return n
}

// pageFilterCase is a page whose filters take a hostile value; rows counts
// the listed rows of a 200 page, which must be none.
type pageFilterCase struct {
	path   string
	role   string
	status int
	rows   *regexp.Regexp
}

var (
	verdictRows = regexp.MustCompile(`<tr><td>[^<]*</td><td><a href="/products/\d+">`)
	productRows = regexp.MustCompile(`<td data-label="Product"><a href="/products/\d+">`)
	auditRows   = regexp.MustCompile(`<tr><td>\d+</td><td>\d{4}-`)
	orderRows   = regexp.MustCompile(`<tr><td><a href="/orders/\d+">`)
)

func pageFilterCases() []pageFilterCase {
	return []pageFilterCase{
		{path: "/products?q=%s", role: "category_manager", status: 200, rows: productRows},
		{path: "/products?category=%s", role: "category_manager", status: 200, rows: productRows},
		// A reason, a market, a channel and a verdict are picked from lists: anything else is refused.
		{path: "/products?code=%s", role: "category_manager", status: 400},
		{path: "/products?market=%s", role: "category_manager", status: 400},
		{path: "/products?channel=%s", role: "category_manager", status: 400},
		{path: "/products?verdict=%s", role: "category_manager", status: 400},
		{path: "/products?support_end_month=%s", role: "category_manager", status: 400},
		{path: "/products?changed_since=%s", role: "category_manager", status: 400},
		{path: "/supplier/products?q=%s", role: "supplier", status: 200, rows: productRows},
		{path: "/supplier/products?code=%s", role: "supplier", status: 400},
		{path: "/products/{%s}", role: "category_manager", status: 404},
		{path: "/catalogue?market=%s", role: "buyer", status: 400},
		{path: "/catalogue?market=UK&all=%s", role: "buyer", status: 200, rows: verdictRows},
		{path: "/catalogue?market=UK&all=true&q=%s", role: "buyer", status: 200, rows: verdictRows},
		{path: "/admin/audit?entity=%s", role: "admin", status: 200, rows: auditRows},
		{path: "/admin/audit?before=%s", role: "admin", status: 400},
		{path: "/admin/registries?scheme=%s", role: "admin", status: 200},
		{path: "/impact?policy=%s", role: "category_manager", status: 404},
		{path: "/impact?as_of=%s", role: "category_manager", status: 400},
		{path: "/orders/{%s}", role: "buyer", status: 404},
	}
}

// fillHostile puts v where the case's %s is: query-escaped, or path-escaped in {}.
func fillHostile(pattern, v string) string {
	if strings.Contains(pattern, "{%s}") {
		return fmt.Sprintf(strings.ReplaceAll(pattern, "{%s}", "%s"), url.PathEscape(v))
	}
	return fmt.Sprintf(pattern, url.QueryEscape(v))
}

// listLen is the length of the array in member key of a JSON object; the
// object must not report an error after the array started streaming.
func listLen(t *testing.T, rec *httptest.ResponseRecorder) int {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("not a JSON object: %v %s", err, rec.Body.String())
	}
	if e, ok := body["error"]; ok {
		t.Fatalf("the list ended with an error: %s", e)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(body["items"], &list); err != nil {
		t.Fatalf("items is not a list: %v %s", err, rec.Body.String())
	}
	return len(list)
}

// tableRows counts the rows of every table of the database.
func tableRows(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	tables, err := db.Migrator().GetTables()
	if err != nil || len(tables) < 10 {
		t.Fatalf("tables %v: %v", tables, err)
	}
	out := map[string]int64{}
	for _, name := range tables {
		out[name] = count(t, db, name)
	}
	return out
}

// sameTables fails unless every table of before is still there with the
// same rows; only the tables in mayGrow may have gained some.
func sameTables(t *testing.T, db *gorm.DB, before map[string]int64, mayGrow ...string) {
	t.Helper()
	after := tableRows(t, db)
	for name, n := range before {
		m, ok := after[name]
		switch {
		case !ok:
			t.Errorf("table %s is gone", name)
		case m < n:
			t.Errorf("table %s lost rows: %d, was %d", name, m, n)
		case m > n && !strings.Contains(" "+strings.Join(mayGrow, " ")+" ", " "+name+" "):
			t.Errorf("table %s gained rows: %d, was %d", name, m, n)
		}
	}
}

// TestSQLMetacharactersInFiltersAreJustText sends injection attempts through
// every filter and path parameter of the API and the pages: each is a value,
// never SQL. A list comes back empty (nothing is named like that) or the
// value is refused with a 4xx and its code; nothing is a 500, and afterwards
// every table still holds every row.
func TestSQLMetacharactersInFiltersAreJustText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		// The controls: without the hostile value, the same lists are not empty.
		if rec := w.request("buyer", "GET", "/api/v1/procurement/catalogue?market=UK&all=true", nil); listLen(t, rec) == 0 {
			t.Fatal("the catalogue with all=true lists nothing: the all= case would prove nothing")
		}
		if rec := w.request("admin", "GET", "/api/v1/audit?entity_id="+fmt.Sprint(w.orderA), nil); listLen(t, rec) == 0 {
			t.Fatal("the audit log has no entries for an order: the entity_id case would prove nothing")
		}
		b := map[string]*webSession{}
		for _, role := range []string{"admin", "buyer", "category_manager", "supplier"} {
			b[role] = w.browse(role)
		}
		if got := len(productRows.FindAllString(b["category_manager"].get("/products?category=smart_camera").Body.String(), -1)); got == 0 {
			t.Fatal("the products page lists no smart camera: the category case would prove nothing")
		}
		if got := len(auditRows.FindAllString(b["admin"].get("/admin/audit").Body.String(), -1)); got == 0 {
			t.Fatal("the audit page lists nothing: the entity case would prove nothing")
		}
		before := tableRows(t, db)

		for _, v := range hostileValues {
			for _, tc := range apiFilterCases() {
				role := tc.role
				if role == "" {
					role = "admin"
				}
				var body any
				if tc.body != nil {
					body = tc.body(w)
				}
				path := fillHostile(tc.path, v)
				rec := w.request(role, tc.method, path, body, tc.headers...)
				want := tc.status
				if want == 0 {
					want = 200
				}
				if rec.Code != want {
					t.Errorf("%s %s: %d, want %d: %s", tc.method, path, rec.Code, want, rec.Body.String())
					continue
				}
				if want != 200 {
					if code := errorCode(t, rec); code != tc.code {
						t.Errorf("%s %s: code %s, want %s", tc.method, path, code, tc.code)
					}
					continue
				}
				var wantRows int64
				if tc.matches != nil {
					wantRows = tc.matches(db, v)
				}
				if n := listLen(t, rec); int64(n) != wantRows {
					t.Errorf("%s %s: %d %s match %q, want %d", tc.method, path, n, tc.list, v, wantRows)
				}
			}
			for _, tc := range pageFilterCases() {
				path := fillHostile(tc.path, v)
				rec := b[tc.role].get(path)
				if rec.Code != tc.status {
					t.Errorf("page %s: %d, want %d", path, rec.Code, tc.status)
					continue
				}
				if tc.rows != nil {
					if n := len(tc.rows.FindAllString(rec.Body.String(), -1)); n != 0 {
						t.Errorf("page %s: %d rows match %q", path, n, v)
					}
				}
			}
			// The orders page has no filter: unknown parameters change nothing it lists.
			if rec := b["buyer"].get("/orders?status=" + url.QueryEscape(v) + "&market=" + url.QueryEscape(v)); rec.Code != 200 || len(orderRows.FindAllString(rec.Body.String(), -1)) != 3 {
				t.Errorf("orders page with %q: %d", v, rec.Code)
			}
			// Forms post hostile path parameters too.
			for _, path := range []string{"/admin/policies/" + url.PathEscape(v) + "/activate", "/orders/" + url.PathEscape(v) + "/submit"} {
				role := "admin"
				if strings.HasPrefix(path, "/orders") {
					role = "buyer"
				}
				if rec := b[role].post(path, url.Values{"csrf": {b[role].csrf}}); rec.Code != 404 {
					t.Errorf("form post %s: %d", path, rec.Code)
				}
			}
		}
		rec := w.request("admin", "GET", "/api/v1/products?q="+url.QueryEscape("%"), nil)
		if strings.Contains(rec.Body.String(), `"sku":"A-1"`) {
			t.Error("% in a search matched every product: it must match a literal %")
		}
		// Sessions are made by signing in; nothing else may change.
		sameTables(t, db, before, "sessions")

		// ?sample= is true or false: a hostile value is refused and stores nothing.
		for _, v := range hostileValues {
			rec := w.request("admin", "POST", "/api/v1/schemes/US-CTM/snapshots?sample="+url.QueryEscape(v), []byte(registryCSV), "Content-Type", "text/csv")
			if rec.Code != 400 || errorCode(t, rec) != "INVALID_PARAMETER" {
				t.Errorf("snapshot with sample=%q: %d %s", v, rec.Code, rec.Body.String())
			}
		}
		sameTables(t, db, before, "sessions")
	})
}

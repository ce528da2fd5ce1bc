package web_test

import (
	"context"
	"encoding/csv"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// TestExportsNeverCarryFormulas lists a product whose supplier wrote
// spreadsheet formulas into its fields, in every export format.
func TestExportsNeverCarryFormulas(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	path := filepath.Join(t.TempDir(), "evil.csv")
	os.WriteFile(path, []byte("sku,gtin,brand,model,name,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance\n"+
		`+SUM(1;2),9501101530003,@Acme,-M1,"=HYPERLINK(""http://evil.example"",""open"")",smart_plug,UK,unique_per_device,https://acme.example/s,2030-01-31,included`+"\n"), 0o600)
	im := imports.New(w.db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	ctx := access.With(context.Background(), access.System("test"))
	if b, err := im.Import(ctx, imports.Request{SupplierID: w.supplierA.ID, FileName: "evil.csv", Path: path}); err != nil || b.RowsCreated != 1 {
		t.Fatalf("import: %v %+v", err, b)
	}
	rec := w.request("category_manager", "GET", "/api/v1/listings?market=UK&format=csv", nil)
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv feed: %v %q", err, rec.Body.String())
	}
	for _, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
			t.Errorf("CSV cell %q starts a formula", cell)
		}
	}
	if rows[1][1] != "'+SUM(1;2)" || !strings.HasPrefix(rows[1][5], "'=HYPERLINK") {
		t.Errorf("CSV row %q", rows[1])
	}
	rec = w.request("category_manager", "GET", "/api/v1/listings?market=UK&format=xlsx", nil)
	f, err := excelize.OpenReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, cell := range []string{"B2", "D2", "E2", "F2"} {
		if formula, _ := f.GetCellFormula("Listings UK", cell); formula != "" {
			t.Errorf("XLSX %s is a formula: %s", cell, formula)
		}
	}
	if v, _ := f.GetCellValue("Listings UK", "F2"); !strings.HasPrefix(v, "=HYPERLINK") {
		t.Errorf("XLSX keeps the text as written, as text: %q", v)
	}
}

// TestSQLMetacharactersInFiltersAreJustText sends injection attempts through
// every filter: each is a value, never SQL; nothing fails with 500 and no
// table changes.
func TestSQLMetacharactersInFiltersAreJustText(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	before := count(t, w.db, "products")
	evil := []string{"' OR '1'='1", "'; DROP TABLE products; --", "%", "_", `\`, "\" OR 1=1 --", "1; DELETE FROM verdicts"}
	for _, v := range evil {
		q := url.QueryEscape(v)
		for _, path := range []string{
			"/api/v1/products?q=" + q, "/api/v1/products?category=" + q, "/api/v1/products?gtin=" + q,
			"/api/v1/verdicts?market=" + q, "/api/v1/verdicts?channel=" + q + "&code=" + q, "/api/v1/verdicts?verdict=" + q,
			"/api/v1/audit?actor=" + q + "&entity=" + q, "/api/v1/procurement/catalogue?market=UK&q=" + q,
			"/api/v1/imports?supplier_id=" + q, "/api/v1/gate?gtin=" + q + "&market=UK", "/api/v1/listings?market=" + q,
		} {
			rec := w.request("admin", "GET", path, nil)
			if rec.Code >= 500 {
				t.Errorf("%s: %d %s", path, rec.Code, rec.Body.String())
			}
		}
	}
	rec := w.request("admin", "GET", "/api/v1/products?q="+url.QueryEscape("%"), nil)
	if strings.Contains(rec.Body.String(), `"sku":"A-1"`) {
		t.Error("% in a search matched every product: it must match a literal %")
	}
	if count(t, w.db, "products") != before || count(t, w.db, "verdicts") == 0 {
		t.Fatal("a filter changed the database")
	}
	b := w.browse("category_manager")
	for _, v := range evil {
		if rec := b.get("/products?q=" + url.QueryEscape(v) + "&code=" + url.QueryEscape(v)); rec.Code != 200 {
			t.Errorf("products page with %q: %d", v, rec.Code)
		}
	}
}

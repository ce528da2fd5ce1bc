package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// laptopSheet is an upload with one laptop, allowed in UK retail (out of the
// security laws' scope), and one row rejected for its GTIN; all of its text
// is marked with the supplier's letter.
const laptopSheet = `sku,gtin,brand,model,name,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking,labels,price,currency
SKU-%[1]s-LAPTOP,%[2]s,Brand,LAP-%[1]s,Laptop of %[1]s,laptop,UK,user_defined,https://%[1]s.example/security,2031-01-31,,yes,,899.00,GBP
SKU-%[1]s-BROKEN,12345,Brand,BRK-%[1]s,Broken of %[1]s,laptop,UK,user_defined,https://%[1]s.example/security,2031-01-31,,yes,,1.00,GBP
`

// Markers of supplier B's data: none may reach supplier A in any answer.
// The GTINs are written without leading zeros, which answers may add.
var supplierBMarkers = []string{"Supplier B", "B-1", "B-2", "SKU-B-LAPTOP", "SKU-B-BROKEN", "Laptop of B", "12345600012", "614141000036", "b.csv", "b-laptops.csv"}

const gtinLaptopA, gtinLaptopB = "9780201379624", "0614141000036"

// isolationWorld adds to the world an allowed laptop and an import batch
// with a rejected row for each supplier, so that every feed has rows of both.
type isolationWorld struct {
	*world
	batchA, batchB2  int64 // the laptop uploads of A and B
	laptopA, laptopB int64
}

func newIsolationWorld(t *testing.T, db *gorm.DB) *isolationWorld {
	t.Helper()
	iw := &isolationWorld{world: newWorld(t, db)}
	ctx := access.With(context.Background(), access.System("test"))
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	upload := func(supplierID int64, letter, gtin string) int64 {
		path := filepath.Join(t.TempDir(), strings.ToLower(letter)+"-laptops.csv")
		if err := os.WriteFile(path, fmt.Appendf(nil, laptopSheet, letter, gtin), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := im.Import(ctx, imports.Request{SupplierID: supplierID, FileName: filepath.Base(path), Path: path})
		if err != nil || b.RowsCreated != 1 || b.RowsRejected != 1 {
			t.Fatalf("import of %s: %v %+v", letter, err, b)
		}
		return b.ID
	}
	iw.batchA = upload(iw.supplierA.ID, "A", gtinLaptopA)
	iw.batchB2 = upload(iw.supplierB.ID, "B", gtinLaptopB)
	iw.laptopA = iw.productID(iw.supplierA.ID, "SKU-A-LAPTOP")
	iw.laptopB = iw.productID(iw.supplierB.ID, "SKU-B-LAPTOP")
	if _, err := verdicts.New(db).Recompute(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// Without B's rows in the feeds, their absence below would prove nothing.
	for _, path := range []string{"/api/v1/verdicts", "/api/v1/verdicts/changes?since=0", "/api/v1/listings?market=UK&format=json", "/api/v1/products", "/api/v1/imports"} {
		rec := iw.request("admin", "GET", path, nil)
		if rec.Code != ok || !strings.Contains(rec.Body.String(), "SKU-A-") && !strings.Contains(rec.Body.String(), "a-laptops.csv") ||
			!strings.Contains(rec.Body.String(), "SKU-B-") && !strings.Contains(rec.Body.String(), "b-laptops.csv") {
			t.Fatalf("the admin's %s lacks one supplier's rows: %d %s", path, rec.Code, rec.Body.String())
		}
	}
	return iw
}

func (w *world) productID(supplierID int64, sku string) int64 {
	w.t.Helper()
	var id int64
	w.db.Raw("SELECT id FROM products WHERE supplier_id = ? AND sku = ?", supplierID, sku).Scan(&id)
	if id == 0 {
		w.t.Fatalf("no product %s", sku)
	}
	return id
}

// bodyText is what a response shows a reader: the cells of a workbook, the body of anything else.
func bodyText(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
		return rec.Body.String()
	}
	f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("workbook: %v", err)
	}
	defer f.Close()
	var sb strings.Builder
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			sb.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	return sb.String()
}

// TestSupplierNeverSeesAnotherSuppliersData calls every route that reads
// supplier data as supplier A, with A's API token and with A's browser
// session, and requires that none of supplier B's rows come back: B's
// things are absent, or the request is refused. Where the route serves A,
// A's own rows must be there, so an empty answer does not pass for a safe one.
func TestSupplierNeverSeesAnotherSuppliersData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newIsolationWorld(t, db)
		cookie, _ := w.login("supplier")
		ids := func(format string, ids ...int64) []string {
			var out []string
			for _, id := range ids {
				out = append(out, fmt.Sprintf(format, id))
			}
			return out
		}
		type check struct {
			path string
			want int
			own  []string // A's text that must be in a 200 answer
		}
		api := []check{
			{"/api/v1/verdicts", ok, []string{"SKU-A-LAPTOP", "A-1"}},
			{"/api/v1/verdicts?market=UK&channel=retail", ok, []string{"SKU-A-LAPTOP"}},
			{fmt.Sprintf("/api/v1/verdicts?supplier_id=%d", w.supplierB.ID), ok, nil},
			{"/api/v1/verdicts?as_of=2027-01-04", ok, []string{"SKU-A-LAPTOP", "A-1"}},
			{"/api/v1/verdicts/changes?since=0", ok, []string{"SKU-A-LAPTOP", "A-1"}},
			{"/api/v1/verdicts/changes?since=0&limit=1000", ok, []string{"SKU-A-LAPTOP"}},
			{"/api/v1/listings?market=UK&format=csv", ok, []string{"SKU-A-LAPTOP", "Supplier A"}},
			{"/api/v1/listings?market=UK&format=json", ok, []string{"SKU-A-LAPTOP", "Supplier A"}},
			{"/api/v1/listings?market=UK&format=xlsx", ok, []string{"SKU-A-LAPTOP", "Supplier A"}},
			{"/api/v1/listings?market=UK", ok, []string{"SKU-A-LAPTOP"}},
			{"/api/v1/products", ok, []string{"SKU-A-LAPTOP", "A-1"}},
			{fmt.Sprintf("/api/v1/products?supplier_id=%d", w.supplierB.ID), ok, nil},
			{"/api/v1/products?gtin=" + gtinLaptopB, ok, nil},
			{"/api/v1/products?q=SKU-B", ok, nil},
			{"/api/v1/imports", ok, []string{"a-laptops.csv"}},
			{fmt.Sprintf("/api/v1/imports?supplier_id=%d", w.supplierB.ID), ok, nil},
			{fmt.Sprintf("/api/v1/imports/%d", w.batchA), ok, []string{"a-laptops.csv"}},
			{fmt.Sprintf("/api/v1/imports/%d/errors", w.batchA), ok, []string{"SKU-A-BROKEN"}},
			{fmt.Sprintf("/api/v1/imports/%d/fix.xlsx", w.batchA), ok, []string{"SKU-A-BROKEN"}},
		}
		for _, id := range []int64{w.batchB, w.batchB2} {
			for _, p := range ids("/api/v1/imports/%d", id) {
				api = append(api, check{p, notFound, nil}, check{p + "/errors", notFound, nil}, check{p + "/fix.xlsx", notFound, nil})
			}
		}
		for _, p := range ids("/api/v1/products/%d", w.productB, w.laptopB) {
			api = append(api, check{p, notFound, nil}, check{p + "/verdicts", notFound, nil})
		}
		pages := []check{
			{"/supplier", ok, []string{"a-laptops.csv"}},
			{"/supplier/products", ok, []string{"SKU-A-LAPTOP", "A-1"}},
			{fmt.Sprintf("/supplier/imports/%d", w.batchA), ok, []string{"SKU-A-BROKEN"}},
			{fmt.Sprintf("/products/%d", w.laptopA), ok, []string{"SKU-A-LAPTOP"}},
			{fmt.Sprintf("/supplier/imports/%d", w.batchB), notFound, nil},
			{fmt.Sprintf("/supplier/imports/%d", w.batchB2), notFound, nil},
			{fmt.Sprintf("/products/%d", w.productB), notFound, nil},
			{fmt.Sprintf("/products/%d", w.laptopB), notFound, nil},
			{"/products?q=SKU-B", forbid, nil}, // the catalogue-wide pages are for managers
			{"/dashboard", forbid, nil},
			{"/listings", forbid, nil},
		}
		callers := []struct {
			name   string
			checks []check
			header []string
		}{
			{"token", api, []string{"Authorization", "Bearer " + w.tokens["supplier"]}},
			{"session", api, []string{"Cookie", cookie.Name + "=" + cookie.Value}},
			{"page", pages, []string{"Cookie", cookie.Name + "=" + cookie.Value}},
		}
		for _, caller := range callers {
			for _, c := range caller.checks {
				rec := w.request("", "GET", c.path, nil, caller.header...)
				text := bodyText(t, rec)
				if rec.Code != c.want {
					t.Errorf("%s %s: status %d, want %d (%.300s)", caller.name, c.path, rec.Code, c.want, text)
				}
				for _, m := range supplierBMarkers {
					if strings.Contains(text, m) {
						t.Errorf("%s %s: supplier A was shown supplier B's %q", caller.name, c.path, m)
					}
				}
				for _, m := range c.own {
					if rec.Code == ok && !strings.Contains(text, m) {
						t.Errorf("%s %s: supplier A's own %q is missing", caller.name, c.path, m)
					}
				}
			}
		}
	})
}

// TestGateAnswersSupplierOnlyForItsOwnProducts asks the gate about B's GTIN
// as supplier A: to A it is a GTIN nobody supplies, while a category manager
// sees B's product allowed. A GTIN both suppliers sell names only A's product.
func TestGateAnswersSupplierOnlyForItsOwnProducts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newIsolationWorld(t, db)
		cookie, _ := w.login("supplier")
		gate := func(header []string, gtin string) (ans struct {
			Verdict  string  `json:"verdict"`
			Products []int64 `json:"product_ids"`
			Reasons  []struct {
				Code string `json:"code"`
			} `json:"reasons"`
		}) {
			t.Helper()
			rec := w.request("", "GET", "/api/v1/gate?market=UK&channel=retail&gtin="+gtin, nil, header...)
			if rec.Code != ok {
				t.Fatalf("gate %s: %d %s", gtin, rec.Code, rec.Body.String())
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
				t.Fatal(err)
			}
			return ans
		}
		manager := []string{"Authorization", "Bearer " + w.tokens["category_manager"]}
		if ans := gate(manager, gtinLaptopB); ans.Verdict != "allowed" || !slices.Equal(ans.Products, []int64{w.laptopB}) {
			t.Fatalf("category manager on B's GTIN: %+v, want allowed for product %d", ans, w.laptopB)
		}
		for _, header := range [][]string{
			{"Authorization", "Bearer " + w.tokens["supplier"]},
			{"Cookie", cookie.Name + "=" + cookie.Value},
		} {
			ans := gate(header, gtinLaptopB)
			if ans.Verdict != "blocked" || len(ans.Products) != 0 || len(ans.Reasons) != 1 || ans.Reasons[0].Code != "UNKNOWN_PRODUCT" {
				t.Errorf("supplier A on B's GTIN via %s: %+v, want an unknown product", header[0], ans)
			}
			if ans := gate(header, gtinLaptopA); ans.Verdict != "allowed" || !slices.Equal(ans.Products, []int64{w.laptopA}) {
				t.Errorf("supplier A on its own GTIN via %s: %+v", header[0], ans)
			}
			// 04006381333931 is A's product A-1 and B's product B-2.
			if ans := gate(header, "04006381333931"); !slices.Equal(ans.Products, []int64{w.productA}) {
				t.Errorf("supplier A on a GTIN both sell, via %s: products %v, want only %d", header[0], ans.Products, w.productA)
			}
		}
	})
}

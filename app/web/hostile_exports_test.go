package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// evilProduct is a product whose supplier wrote a formula and a script into every
// text field: each starts with one of = + - @ and holds a <script>.
var evilProduct = struct{ sku, brand, model, name, gtin string }{
	sku:   `@SUM(1+1)<script>alert(1)</script>`,
	brand: `=HYPERLINK("http://evilProduct.example","<script>alert(2)</script>")`,
	model: `-2+3<script>alert(3)</script>`,
	name:  `+cmd|' /C calc'!A0<script>alert(4)</script>`,
	gtin:  "09501101530003",
}

// importEvil stores the evil product for supplier A, with the security
// fields that make it allowed in the UK, so it reaches the exports.
func (w *world) importEvil(t *testing.T) {
	t.Helper()
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"sku", "gtin", "brand", "model", "name", "category", "markets", "password_model", "vuln_report_contact", "support_end", "statement_of_compliance"})
	cw.Write([]string{evilProduct.sku, evilProduct.gtin, evilProduct.brand, evilProduct.model, evilProduct.name, "smart_plug", "UK", "unique_per_device", "https://acme.example/s", "2030-01-31", "included"})
	cw.Flush()
	path := filepath.Join(t.TempDir(), "evilProduct.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	im := imports.New(w.db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	ctx := access.With(context.Background(), access.System("test"))
	if b, err := im.Import(ctx, imports.Request{SupplierID: w.supplierA.ID, FileName: "evilProduct.csv", Path: path}); err != nil || b.RowsCreated != 1 {
		t.Fatalf("import: %v %+v", err, b)
	}
}

// evilOrder is the reference, waiver text and note the buyer and approver
// write: people's text goes into the evidence pack too.
var evilOrder = struct{ reference, justification, note string }{
	reference:     `=1+2<script>alert(5)</script>`,
	justification: `-Needed now <script>alert(6)</script> for the library doors.`,
	note:          `@approved <img src=x onerror=alert(7)>`,
}

// approveEvilOrder has the buyer order the evil product under a waiver and
// the approver approve the waiver and the order.
func (w *world) approveEvilOrder(t *testing.T) int64 {
	t.Helper()
	id := w.orderWithLine(t, evilOrder.reference, map[string]any{"gtin": evilProduct.gtin, "quantity": 2, "unit_price": "9.99", "currency": "GBP"})
	// The gate blocks it for procurement (no label): a waiver with the buyer's text lets it through.
	rec := w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/submit", id), map[string]int{"version": w.version(id)})
	if rec.Code != 409 {
		t.Fatalf("submit without a waiver: %d %s", rec.Code, rec.Body.String())
	}
	codes := blockingCodes(t, rec)
	var productID int64
	w.db.Raw("SELECT id FROM products WHERE gtin = ?", evilProduct.gtin).Scan(&productID)
	rec = w.request("buyer", "POST", "/api/v1/waivers", map[string]any{"product_id": productID, "market": "UK", "codes": codes,
		"justification": evilOrder.justification, "expires_on": time.Now().AddDate(0, 3, 0).Format("2006-01-02")})
	var waiver struct {
		Waiver struct {
			ID int64 `json:"id"`
		} `json:"waiver"`
	}
	decode(t, rec.Body.Bytes(), &waiver)
	if rec := w.request("approver", "POST", fmt.Sprintf("/api/v1/waivers/%d/approve", waiver.Waiver.ID), map[string]string{"note": evilOrder.note}); rec.Code != 200 {
		t.Fatalf("approve waiver: %d %s", rec.Code, rec.Body.String())
	}
	rec = w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/submit", id), map[string]int{"version": w.version(id)})
	if rec.Code != 200 {
		t.Fatalf("submit: %d %s", rec.Code, rec.Body.String())
	}
	if rec := w.request("approver", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/approve", id), map[string]any{"version": w.version(id), "note": evilOrder.note}); rec.Code != 200 {
		t.Fatalf("approve: %d %s", rec.Code, rec.Body.String())
	}
	return id
}

// TestEvidencePackXLSXHoldsHostileTextAsTextNeverAFormula opens every cell of
// every sheet of the evidence workbook: none is a formula, and the product's,
// buyer's and approver's text is in string cells exactly as written.
func TestEvidencePackXLSXHoldsHostileTextAsTextNeverAFormula(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		w.importEvil(t)
		id := w.approveEvilOrder(t)
		rec := w.request("approver", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d/evidence.xlsx", id), nil)
		if rec.Code != 200 {
			t.Fatalf("evidence.xlsx: %d %s", rec.Code, rec.Body.String())
		}
		f, err := excelize.OpenReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		found := map[string]string{} // hostile text -> the cell holding it
		hostile := []string{evilProduct.sku, evilProduct.brand, evilProduct.model, evilOrder.reference, evilOrder.justification, evilOrder.note}
		cells := 0
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			for r, row := range rows {
				for c, v := range row {
					cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
					cells++
					if formula, err := f.GetCellFormula(sheet, cell); err != nil || formula != "" {
						t.Errorf("%s!%s is a formula %q (%v)", sheet, cell, formula, err)
					}
					for _, h := range hostile {
						if v == h {
							found[h] = sheet + "!" + cell
							if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
								t.Errorf("%s!%s holds %q as cell type %d, not a string", sheet, cell, v, typ)
							}
						}
					}
				}
			}
		}
		for _, h := range hostile {
			if found[h] == "" {
				t.Errorf("no cell holds %q exactly as written", h)
			}
		}
		if cells < 50 {
			t.Fatalf("only %d cells: the workbook is not the evidence pack", cells)
		}
	})
}

// TestEvidencePackHTMLEscapesHostileText prints the evidence pack: every
// piece of hostile text shows escaped, exactly as html/template escapes it,
// and no tag of it reaches the page.
func TestEvidencePackHTMLEscapesHostileText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		w.importEvil(t)
		id := w.approveEvilOrder(t)
		rec := w.request("buyer", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d/evidence", id), nil)
		page := rec.Body.String()
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("evidence: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		for _, raw := range []string{"<script>", "<img src=x"} {
			if strings.Contains(page, raw) {
				t.Errorf("the page holds %q unescaped", raw)
			}
		}
		for _, h := range []string{evilProduct.sku, evilProduct.brand, evilProduct.model, evilOrder.reference, evilOrder.justification} {
			if esc := htmlText(t, h); !strings.Contains(page, esc) {
				t.Errorf("the page does not show %q escaped (as %q)", h, esc)
			}
		}
		if !strings.Contains(page, "&lt;script&gt;alert(3)&lt;/script&gt;") {
			t.Error("the model's script is not shown as text")
		}
	})
}

// htmlText is s as html/template writes it in element content.
func htmlText(t *testing.T, s string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := template.Must(template.New("").Parse(`{{.}}`)).Execute(&buf, s); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestListingFeedJSONKeepsHostileTextAsStrings reads the JSON listing feed:
// each hostile field is a JSON string holding the text exactly as written,
// neither prefixed like the CSV (JSON runs nothing) nor changed.
func TestListingFeedJSONKeepsHostileTextAsStrings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		w.importEvil(t)
		rec := w.request("category_manager", "GET", "/api/v1/listings?market=UK&format=json", nil)
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("feed: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		if strings.Contains(rec.Body.String(), "<script>") {
			t.Error("the feed carries <script> unescaped: a browser sniffing it could run it")
		}
		var feed struct {
			Listings []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &feed); err != nil || len(feed.Listings) != 1 {
			t.Fatalf("feed: %v %s", err, rec.Body.String())
		}
		l := feed.Listings[0]
		for field, want := range map[string]string{"sku": evilProduct.sku, "brand": evilProduct.brand, "model": evilProduct.model, "name": evilProduct.name, "gtin": evilProduct.gtin} {
			got, ok := l[field].(string)
			if !ok || got != want {
				t.Errorf("%s = %#v, want the string %q", field, l[field], want)
			}
		}
	})
}

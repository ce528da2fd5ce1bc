package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// reuploadEvil has supplier A re-upload the evil product as another brand
// and model, with a universal default password and another support end:
// the procurement gate now blocks it.
func (w *world) reuploadEvil(t *testing.T) {
	t.Helper()
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"sku", "gtin", "brand", "model", "name", "category", "markets", "password_model", "vuln_report_contact", "support_end", "statement_of_compliance"})
	cw.Write([]string{evilProduct.sku, evilProduct.gtin, "Rebadged", "RB-2", "Renamed", "smart_plug", "UK", "universal_default", "https://acme.example/s", "2026-12-31", "included"})
	cw.Flush()
	path := filepath.Join(t.TempDir(), "again.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	im := imports.New(w.db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	ctx := access.With(context.Background(), access.System("test"))
	if b, err := im.Import(ctx, imports.Request{SupplierID: w.supplierA.ID, FileName: "again.csv", Path: path}); err != nil || b.RowsUpdated != 1 {
		t.Fatalf("re-upload: %v %+v", err, b)
	}
	// And the registry publishes a new snapshot.
	if _, err := registry.NewStore(w.db).Import(ctx, registry.NewSnapshot{Scheme: "SG-CLS", Source: "again", Entries: []registry.Entry{
		{LabelID: "CSA/300629/00042", LabelKey: "csa/300629/00042", Brand: "Brand", Model: "M-1", Level: "1", Status: "revoked"}}}); err != nil {
		t.Fatal(err)
	}
}

// storedOrder is every column of the order and its lines, and the length of the audit log.
func storedOrder(t *testing.T, db *gorm.DB, id int64) ([]map[string]any, int64) {
	t.Helper()
	var order, lines []map[string]any
	db.Table("purchase_orders").Where("id = ?", id).Find(&order)
	db.Table("purchase_order_lines").Where("order_id = ?", id).Order("line_no").Find(&lines)
	if len(order) != 1 || len(lines) == 0 {
		t.Fatalf("order %d: %d rows, %d lines", id, len(order), len(lines))
	}
	return append(order, lines...), count(t, db, "audit_entries")
}

// TestAnApprovedOrderIsNotMovedByTheAPIOrThePageForm submits and approves
// an approved order whose product the gate now blocks, through the API and
// the page forms, with its version and a stale one: each is refused with
// 409 and the order, its lines and the audit log stay exactly as they were.
func TestAnApprovedOrderIsNotMovedByTheAPIOrThePageForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		w.importEvil(t)
		id := w.approveEvilOrder(t)
		w.reuploadEvil(t)
		version := w.version(id)
		buyer, approver := w.browse("buyer"), w.browse("approver")
		cases := []struct {
			name string
			send func(version int) (int, string)
		}{
			{"API submit", func(v int) (int, string) {
				rec := w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/submit", id), map[string]int{"version": v})
				return rec.Code, rec.Body.String()
			}},
			{"API approve", func(v int) (int, string) {
				rec := w.request("approver", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/approve", id), map[string]any{"version": v, "note": "again"})
				return rec.Code, rec.Body.String()
			}},
			{"page submit", func(v int) (int, string) {
				rec := buyer.post(fmt.Sprintf("/orders/%d/submit", id), url.Values{"csrf": {buyer.csrf}, "version": {fmt.Sprint(v)}})
				return rec.Code, rec.Body.String()
			}},
			{"page approve", func(v int) (int, string) {
				rec := approver.post(fmt.Sprintf("/orders/%d/approve", id), url.Values{"csrf": {approver.csrf}, "version": {fmt.Sprint(v)}, "note": {"again"}})
				return rec.Code, rec.Body.String()
			}},
		}
		for _, c := range cases {
			for _, v := range []int{version, version - 1} {
				before, entries := storedOrder(t, db, id)
				code, body := c.send(v)
				if code != 409 || strings.Contains(body, "ORDER_BLOCKED") || !strings.Contains(body, "ORDER_NOT_") && !strings.Contains(body, "ORDER_CHANGED") {
					t.Errorf("%s with version %d: %d %.300s", c.name, v, code, body)
				}
				if after, n := storedOrder(t, db, id); !reflect.DeepEqual(before, after) || n != entries {
					t.Errorf("%s with version %d changed the approved order (audit %d -> %d):\nbefore %v\nafter  %v", c.name, v, entries, n, before, after)
				}
			}
		}
	})
}

// TestAnApprovedOrdersEvidencePackIsTheSameAfterTheCatalogueChanges reads
// the evidence pack (HTML, XLSX) and the order (JSON) of an approved order,
// then the supplier re-uploads the product as another brand and model and
// the registry publishes a new snapshot: all of it reads byte for byte the same.
func TestAnApprovedOrdersEvidencePackIsTheSameAfterTheCatalogueChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		w.importEvil(t)
		id := w.approveEvilOrder(t)
		read := func() (html, order string, sheets map[string][][]string) {
			t.Helper()
			rec := w.request("approver", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d/evidence", id), nil)
			if rec.Code != 200 {
				t.Fatalf("evidence: %d %s", rec.Code, rec.Body.String())
			}
			html = rec.Body.String()
			rec = w.request("buyer", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d", id), nil)
			order = rec.Body.String()
			rec = w.request("approver", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d/evidence.xlsx", id), nil)
			f, err := excelize.OpenReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sheets = map[string][][]string{}
			for _, name := range f.GetSheetList() {
				sheets[name], _ = f.GetRows(name)
			}
			return html, order, sheets
		}
		html, order, sheets := read()
		if !strings.Contains(html, htmlText(t, evilProduct.brand)) {
			t.Fatalf("the evidence does not show the product: %s", html)
		}
		w.reuploadEvil(t)
		html2, order2, sheets2 := read()
		if html2 != html {
			t.Errorf("the evidence page changed:\nbefore %s\nafter  %s", html, html2)
		}
		if order2 != order {
			t.Errorf("the order changed:\nbefore %s\nafter  %s", order, order2)
		}
		if !reflect.DeepEqual(sheets, sheets2) {
			t.Errorf("the evidence workbook changed:\nbefore %v\nafter  %v", sheets, sheets2)
		}
		if strings.Contains(html2+order2, "Rebadged") {
			t.Error("the evidence shows the re-uploaded brand")
		}
		if !strings.Contains(html2, "supplier Supplier A") || !strings.Contains(order2, `"approval":{"product":`) {
			t.Error("the evidence does not name the supplier, or the order lacks what its lines were approved on")
		}
	})
}

// TestOrderLineValuesAreCheckedByTheAPIAndThePageForm adds lines through the
// API (prices as JSON numbers and strings) and the page form: sane values
// are stored normalised, the rest refused with 400, a code and the field.
func TestOrderLineValuesAreCheckedByTheAPIAndThePageForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		soon := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
		cases := []struct {
			name, body string
			status     int
			code       string // the error's, or the stored "price currency"
		}{
			{"price as a JSON number", `"unit_price": 12.5, "currency": "gbp"`, 201, "12.5 GBP"},
			{"price as a decimal string", `"unit_price": "0012.50", "currency": "EUR"`, 201, "12.50 EUR"},
			{"whole price", `"unit_price": 7, "currency": "JPY"`, 201, "7 JPY"},
			{"no price", `"unit_price": null`, 201, " "},
			{"negative number", `"unit_price": -1, "currency": "GBP"`, 400, "INVALID_UNIT_PRICE"},
			{"negative string", `"unit_price": "-0.01", "currency": "GBP"`, 400, "INVALID_UNIT_PRICE"},
			{"NaN string", `"unit_price": "NaN", "currency": "GBP"`, 400, "INVALID_UNIT_PRICE"},
			{"Infinity string", `"unit_price": "Infinity", "currency": "GBP"`, 400, "INVALID_UNIT_PRICE"},
			{"exponent", `"unit_price": 1e400, "currency": "GBP"`, 400, "INVALID_UNIT_PRICE"},
			{"formula", `"unit_price": "=1+1", "currency": "GBP"`, 400, "INVALID_UNIT_PRICE"},
			{"boolean", `"unit_price": true, "currency": "GBP"`, 400, "INVALID_UNIT_PRICE"},
			{"object", `"unit_price": {"amount": 1}, "currency": "GBP"`, 400, "INVALID_UNIT_PRICE"},
			{"made-up currency", `"unit_price": "1.00", "currency": "ABC"`, 400, "INVALID_CURRENCY"},
			{"currency text", `"unit_price": "1.00", "currency": "pounds"`, 400, "INVALID_CURRENCY"},
			{"price without currency", `"unit_price": "1.00"`, 400, "MISSING_CURRENCY"},
			{"delivery in 9999", `"delivery_date": "9999-12-31"`, 400, "DELIVERY_TOO_FAR"},
		}
		for _, c := range cases {
			body := fmt.Sprintf(`{"version": %d, "gtin": "00012345600012", "quantity": 1, "delivery_date": %q, %s}`, w.version(w.orderA), soon, c.body)
			if strings.Contains(c.body, "delivery_date") {
				body = fmt.Sprintf(`{"version": %d, "gtin": "00012345600012", "quantity": 1, %s}`, w.version(w.orderA), c.body)
			}
			lines := count(t, db, "purchase_order_lines")
			rec := w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/lines", w.orderA), body)
			if rec.Code != c.status {
				t.Errorf("%s: %d %s", c.name, rec.Code, rec.Body.String())
				continue
			}
			if c.status != 201 {
				var e struct {
					Error struct {
						Code    string `json:"code"`
						Details []struct {
							Field, Message string
						} `json:"details"`
					} `json:"error"`
				}
				decode(t, rec.Body.Bytes(), &e)
				field := strings.Trim(strings.SplitN(c.body, ":", 2)[0], `" `)
				if c.code == "INVALID_CURRENCY" || c.code == "MISSING_CURRENCY" {
					field = "currency"
				}
				if e.Error.Code != c.code || len(e.Error.Details) != 1 || e.Error.Details[0].Field != field || e.Error.Details[0].Message == "" {
					t.Errorf("%s: %s, want %s on %s", c.name, rec.Body.String(), c.code, field)
				}
				if n := count(t, db, "purchase_order_lines"); n != lines {
					t.Errorf("%s: a refused line was stored", c.name)
				}
				continue
			}
			var got struct {
				Order struct {
					Lines []struct {
						UnitPrice string `json:"unit_price"`
						Currency  string `json:"currency"`
					} `json:"lines"`
				} `json:"purchase_order"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Order.Lines) == 0 {
				t.Fatalf("%s: %v %s", c.name, err, rec.Body.String())
			}
			last := got.Order.Lines[len(got.Order.Lines)-1]
			if last.UnitPrice+" "+last.Currency != c.code {
				t.Errorf("%s: stored %q %q", c.name, last.UnitPrice, last.Currency)
			}
		}

		// The page form goes through the same checks.
		b := w.browse("buyer")
		form := func(price, currency, delivery string) url.Values {
			return url.Values{"csrf": {b.csrf}, "version": {fmt.Sprint(w.version(w.orderA))}, "gtin": {"00012345600012"}, "quantity": {"1"},
				"unit_price": {price}, "currency": {currency}, "delivery_date": {delivery}}
		}
		for _, bad := range [][3]string{{"-5", "GBP", soon}, {"=1+1", "GBP", soon}, {"5", "XYZ", soon}, {"5", "GBP", "9999-12-31"}} {
			lines := count(t, db, "purchase_order_lines")
			rec := b.post(fmt.Sprintf("/orders/%d/lines", w.orderA), form(bad[0], bad[1], bad[2]))
			if rec.Code != 400 || count(t, db, "purchase_order_lines") != lines {
				t.Errorf("page form %v: %d, lines %d -> %d", bad, rec.Code, lines, count(t, db, "purchase_order_lines"))
			}
		}
		if rec := b.post(fmt.Sprintf("/orders/%d/lines", w.orderA), form("19.99", "usd", soon)); rec.Code != 303 {
			t.Fatalf("page form with sane values: %d %s", rec.Code, rec.Body.String())
		}
		var stored string
		db.Raw("SELECT unit_price || ' ' || currency FROM purchase_order_lines WHERE order_id = ? ORDER BY line_no DESC LIMIT 1", w.orderA).Scan(&stored)
		if stored != "19.99 USD" {
			t.Fatalf("page form stored %q", stored)
		}
	})
}

package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

const plugHeader = "sku,gtin,brand,model,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance,ce_marking\n"

func plugRow(sku, gtin, password string) string {
	return fmt.Sprintf("%s,%s,Plugco,PL-1,smart_plug,UK,%s,https://plugco.example/security,2030-06-30,included,yes\n", sku, gtin, password)
}

func (w *world) gateVerdict(role, query string) string {
	w.t.Helper()
	rec := w.request(role, "GET", "/api/v1/gate?"+query, nil)
	var ans struct{ Verdict string }
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &ans) != nil {
		w.t.Fatalf("gate %s as %s: %d %s", query, role, rec.Code, rec.Body.String())
	}
	return ans.Verdict
}

// Supplier A (the supplier token) uploads one row carrying supplier B's GTIN
// with a universal default password: B's product must stay allowed for
// everyone, in the gate and the listing feed alike, and a buyer must still
// be able to order it from B.
func TestAnotherSuppliersUploadDoesNotFlipTheGate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		w := newWorld(t, db)
		const gtin = "9501101530003"
		rec := w.request("admin", "POST", fmt.Sprintf("/api/v1/imports?wait=true&supplier_id=%d", w.supplierB.ID),
			[]byte(plugHeader+plugRow("B-PLUG", gtin, "unique_per_device")), "Content-Type", "text/csv")
		if rec.Code != http.StatusCreated {
			t.Fatalf("B's upload: %d %s", rec.Code, rec.Body.String())
		}
		query := "gtin=" + gtin + "&market=UK&channel=retail"
		if v := w.gateVerdict("buyer", query); v != "allowed" {
			t.Fatalf("before: %s", v)
		}

		rec = w.request("supplier", "POST", fmt.Sprintf("/api/v1/imports?wait=true&supplier_id=%d", w.supplierA.ID),
			[]byte(plugHeader+plugRow("A-ROGUE", gtin, "universal_default")), "Content-Type", "text/csv")
		if rec.Code != http.StatusCreated {
			t.Fatalf("A's upload: %d %s", rec.Code, rec.Body.String())
		}
		if !strings.Contains(rec.Body.String(), "GTIN_DISPUTED") || strings.Contains(rec.Body.String(), "Supplier B") {
			t.Errorf("A's batch should warn GTIN_DISPUTED without naming B: %s", rec.Body.String())
		}
		for _, role := range []string{"buyer", "category_manager", "admin"} {
			if v := w.gateVerdict(role, query); v != "allowed" {
				t.Errorf("gate for %s after A's upload: %s", role, v)
			}
		}
		listing := w.request("category_manager", "GET", "/api/v1/listings?market=UK&format=csv", nil).Body.String()
		// One gtin cell: the facts_url column names the GTIN too.
		if strings.Count(listing, ",0"+gtin+",") != 1 || !strings.Contains(listing, "B-PLUG") || strings.Contains(listing, "A-ROGUE") {
			t.Errorf("the UK feed should list B's offer only:\n%s", listing)
		}
		if v := w.gateVerdict("buyer", fmt.Sprintf("%s&supplier=%d", query, w.supplierA.ID)); v != "blocked" {
			t.Errorf("A's own offer: %s", v)
		}

		// A buyer orders it by GTIN: two suppliers offer it, so the buyer picks one.
		order := w.request("buyer", "POST", "/api/v1/purchase-orders", map[string]string{"reference": "PO-PLUGS", "market": "UK"})
		var o struct {
			Order struct{ ID, Version int } `json:"purchase_order"`
		}
		json.Unmarshal(order.Body.Bytes(), &o)
		line := map[string]any{"version": o.Order.Version, "gtin": gtin, "quantity": 3, "delivery_date": "2028-01-15"}
		rec = w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/lines", o.Order.ID), line)
		if rec.Code != http.StatusBadRequest || errorCode(t, rec) != "AMBIGUOUS_PRODUCT" || !strings.Contains(rec.Body.String(), "Supplier B") {
			t.Fatalf("a line by GTIN alone: %d %s", rec.Code, rec.Body.String())
		}
		line["supplier_id"] = w.supplierB.ID
		if rec = w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/lines", o.Order.ID), line); rec.Code != http.StatusCreated {
			t.Fatalf("a line from supplier B: %d %s", rec.Code, rec.Body.String())
		}
	})
}

// A category manager finds the dispute in the queue with both offers side
// by side, the differing field marked, and rejects it from the page.
func TestCategoryManagersDecideDisputesFromThePage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		w := newWorld(t, db)
		w.openDispute(t)
		cm := w.browse("category_manager")
		page := cm.get("/disputes").Body.String()
		for _, want := range []string{"GTIN 00614141000036", "Supplier A (disputed)", "Supplier B", `<td class="differs">universal_default</td>`, fmt.Sprintf(`action="/disputes/%d/accept"`, w.dispute)} {
			if !strings.Contains(page, want) {
				t.Fatalf("the queue lacks %q:\n%s", want, page)
			}
		}
		rec := cm.post(fmt.Sprintf("/disputes/%d/reject", w.dispute), url.Values{"csrf": {cm.csrf}, "note": {"not the maker's data"}})
		if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "notice=dispute-rejected") {
			t.Fatalf("reject: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if page := cm.get("/disputes").Body.String(); strings.Contains(page, "GTIN 00614141000036") {
			t.Fatal("a rejected dispute is still in the open queue")
		}
		if page := cm.get("/disputes?status=rejected").Body.String(); !strings.Contains(page, "not the maker&#39;s data") || strings.Contains(page, "formaction") {
			t.Fatalf("the rejected dispute should show its note and offer only Accept:\n%s", page)
		}
		var status string
		db.Raw("SELECT status FROM gtin_disputes WHERE id = ?", w.dispute).Scan(&status)
		if status != "rejected" {
			t.Fatalf("status %q", status)
		}
		// A supplier cannot open the queue.
		if rec := w.browse("supplier").get("/disputes"); rec.Code != http.StatusForbidden {
			t.Fatalf("supplier: %d", rec.Code)
		}
	})
}

// A buyer adds a line by a GTIN two suppliers offer: the page asks which
// supplier, keeping what was typed, and the line is added once one is chosen.
func TestABuyerChoosesTheSupplierOfAGTINSeveralOffer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		w := newWorld(t, db)
		w.openDispute(t)
		buyer := w.browse("buyer")
		form := url.Values{"csrf": {buyer.csrf}, "version": {fmt.Sprint(w.version(w.orderA))}, "gtin": {"0614141000036"},
			"quantity": {"4"}, "unit_price": {"12.50"}, "currency": {"GBP"}, "delivery_date": {"2028-03-01"}}
		rec := buyer.post(fmt.Sprintf("/orders/%d/lines", w.orderA), form)
		page := rec.Body.String()
		if rec.Code != http.StatusBadRequest || !strings.Contains(page, `role="alert"`) || !strings.Contains(page, "Several suppliers offer this GTIN") ||
			!strings.Contains(page, fmt.Sprintf(`name="supplier_id" value="%d"`, w.supplierB.ID)) || !strings.Contains(page, "its data is disputed") ||
			!strings.Contains(page, `value="12.50"`) || !strings.Contains(page, `value="2028-03-01"`) {
			t.Fatalf("the form should ask for the supplier and keep the input: %d\n%s", rec.Code, page)
		}
		form.Set("supplier_id", fmt.Sprint(w.supplierB.ID))
		if rec := buyer.post(fmt.Sprintf("/orders/%d/lines", w.orderA), form); rec.Code != http.StatusSeeOther {
			t.Fatalf("with a supplier: %d %s", rec.Code, rec.Body.String())
		}
		var product int64
		db.Raw("SELECT product_id FROM purchase_order_lines WHERE order_id = ? ORDER BY line_no DESC LIMIT 1", w.orderA).Scan(&product)
		var supplier int64
		db.Raw("SELECT supplier_id FROM products WHERE id = ?", product).Scan(&supplier)
		if supplier != w.supplierB.ID {
			t.Fatalf("the line is for supplier %d", supplier)
		}
	})
}

// The supplier whose row carries another's GTIN with other data sees, on
// the import page, the row, its SKU and what to do, and not who disagrees.
func TestTheImportPageShowsTheDisputedRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		w := newWorld(t, db)
		w.openDispute(t)
		var batch int64
		db.Raw("SELECT batch_id FROM gtin_disputes WHERE id = ?", w.dispute).Scan(&batch)
		page := w.browse("supplier").get(fmt.Sprintf("/supplier/imports/%d", batch)).Body.String()
		if !strings.Contains(page, `id="row-warnings"`) || !strings.Contains(page, "<td>A-9</td>") || !strings.Contains(page, "GTIN_DISPUTED") ||
			!strings.Contains(page, "ask the category manager") || strings.Contains(page, "Supplier B") {
			t.Fatalf("import page:\n%s", page)
		}
	})
}

package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/database/dbtest"
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
		if strings.Count(listing, "0"+gtin) != 1 || !strings.Contains(listing, "B-PLUG") || strings.Contains(listing, "A-ROGUE") {
			t.Errorf("the UK feed should list B's offer only:\n%s", listing)
		}
		if v := w.gateVerdict("buyer", fmt.Sprintf("%s&supplier=%d", query, w.supplierA.ID)); v != "blocked" {
			t.Errorf("A's own offer: %s", v)
		}

		// A buyer orders it by GTIN: two suppliers offer it, so the buyer picks one.
		order := w.request("buyer", "POST", "/api/v1/purchase-orders", map[string]string{"reference": "PO-PLUGS", "market": "UK"})
		var o struct{ Order struct{ ID, Version int } }
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

package web_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

func decode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

// TestOrderThroughWaiverToEvidencePack drives the API as a buyer and an
// approver: an order is blocked, a waiver is requested and approved by
// the other person, the order is approved, and the evidence pack shows why.
func TestOrderThroughWaiverToEvidencePack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		id := w.orderWithLine(t, "PO <2026>/17", map[string]any{"gtin": "12345600012", "quantity": 5, "unit_price": "12.50", "currency": "gbp"})
		rec := w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/submit", id), map[string]int{"version": w.version(id)})
		if rec.Code != 409 || errorCode(t, rec) != "ORDER_BLOCKED" {
			t.Fatalf("submit: %d %s", rec.Code, rec.Body.String())
		}
		codes := blockingCodes(t, rec)
		if got := w.request("buyer", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d", id), nil).Body.String(); !strings.Contains(got, `"totals":[{"currency":"GBP","amount":"62.50","lines":1}]`) {
			t.Fatalf("the order has no total: %s", got)
		}
		if len(codes) == 0 {
			t.Fatalf("no blocking codes: %s", rec.Body.String())
		}

		rec = w.request("buyer", "POST", "/api/v1/waivers", map[string]any{"product_id": w.productB, "market": "UK", "codes": codes,
			"justification": "Emergency replacement for the library's door entry system.", "expires_on": time.Now().AddDate(0, 3, 0).Format("2006-01-02")})
		var waiver struct {
			Waiver struct {
				ID int64 `json:"id"`
			} `json:"waiver"`
		}
		decode(t, rec.Body.Bytes(), &waiver)
		if rec := w.request("approver", "POST", fmt.Sprintf("/api/v1/waivers/%d/approve", waiver.Waiver.ID), map[string]string{"note": "one-off"}); rec.Code != 200 {
			t.Fatalf("approve waiver: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/submit", id), map[string]int{"version": w.version(id)}); rec.Code != 200 {
			t.Fatalf("submit with waiver: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.request("approver", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/approve", id), map[string]any{"version": w.version(id) - 1, "note": "stale"}); rec.Code != 409 || errorCode(t, rec) != "ORDER_CHANGED" {
			t.Fatalf("stale approve: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.request("approver", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/approve", id), map[string]any{"version": w.version(id), "note": "ok"}); rec.Code != 200 {
			t.Fatalf("approve: %d %s", rec.Code, rec.Body.String())
		}

		rec = w.request("approver", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d/evidence.xlsx", id), nil)
		f, err := excelize.OpenReader(rec.Body)
		if err != nil {
			t.Fatalf("evidence xlsx: %v", err)
		}
		lines, _ := f.GetRows("Lines")
		trail, _ := f.GetRows("Audit")
		waivers, _ := f.GetRows("Waivers")
		f.Close()
		if len(lines) != 2 || lines[1][10] != "waived" || lines[1][12] != fmt.Sprint(waiver.Waiver.ID) || lines[1][7] != "GBP" || lines[1][8] != "62.50" {
			t.Fatalf("evidence lines %v", lines)
		}
		if len(waivers) != 2 || len(trail) < 5 {
			t.Fatalf("evidence: %d waivers, %d audit rows", len(waivers)-1, len(trail)-1)
		}
		// People and products by name, with their ids beside them.
		if got := waivers[1]; got[7] != "buyer@test.example" || got[8] != fmt.Sprint(w.users["buyer"].ID) || got[10] != "approver@test.example" || got[3] != "00012345600012" {
			t.Fatalf("evidence waiver row %v", got)
		}
		f, _ = excelize.OpenReader(w.request("approver", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d/evidence.xlsx", id), nil).Body)
		order, _ := f.GetRows("Order")
		f.Close()
		if !slices.ContainsFunc(order, func(r []string) bool { return len(r) == 2 && r[0] == "total GBP" && r[1] == "62.50" }) {
			t.Fatalf("evidence order sheet has no total: %v", order)
		}
		rec = w.request("buyer", "GET", fmt.Sprintf("/api/v1/purchase-orders/%d/evidence", id), nil)
		html := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(html, "PO &lt;2026&gt;/17") || strings.Contains(html, "PO <2026>") || !strings.Contains(html, "waived") ||
			!strings.Contains(html, "62.50 GBP") || !strings.Contains(html, "buyer@test.example") || strings.Contains(html, "user ") {
			t.Fatalf("evidence html: %d %s", rec.Code, html)
		}
	})
}

// blockingCodes are the codes of the first line an ORDER_BLOCKED answer names.
func blockingCodes(t *testing.T, rec *httptest.ResponseRecorder) []string {
	t.Helper()
	var blocked struct {
		Error struct {
			Details struct {
				Lines []struct {
					Codes []string `json:"blocking_codes"`
				} `json:"blocked_lines"`
			} `json:"details"`
		} `json:"error"`
	}
	decode(t, rec.Body.Bytes(), &blocked)
	if len(blocked.Error.Details.Lines) == 0 {
		t.Fatalf("no blocked lines: %s", rec.Body.String())
	}
	return blocked.Error.Details.Lines[0].Codes
}

// orderWithLine has the buyer create a UK order and add one line (delivery
// in a month unless line says otherwise), and returns the order's id.
func (w *world) orderWithLine(t *testing.T, reference string, line map[string]any) int64 {
	t.Helper()
	rec := w.request("buyer", "POST", "/api/v1/purchase-orders", map[string]string{"reference": reference, "market": "UK"})
	var created struct {
		Order struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
		} `json:"purchase_order"`
	}
	decode(t, rec.Body.Bytes(), &created)
	body := map[string]any{"version": created.Order.Version, "delivery_date": time.Now().AddDate(0, 1, 0).Format("2006-01-02")}
	maps.Copy(body, line)
	rec = w.request("buyer", "POST", fmt.Sprintf("/api/v1/purchase-orders/%d/lines", created.Order.ID), body)
	if rec.Code != 201 {
		t.Fatalf("add line: %d %s", rec.Code, rec.Body.String())
	}
	return created.Order.ID
}

// An e-procurement system checks an order it has not issued: the answer
// names each line's decision, and no order is stored.
func TestAnOrderRaisedElsewhereIsCheckedThroughTheAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		orders := count(t, db, "purchase_orders")
		rec := w.request("buyer", "POST", "/api/v1/procurement/check", map[string]any{"market": "UK", "lines": []map[string]any{
			{"gtin": "00012345600012", "quantity": 2, "delivery_date": "2030-01-15"},
			{"gtin": "5012345678900", "quantity": 1, "delivery_date": "2030-01-15"},
		}})
		var body struct {
			Lines []struct {
				Line     int
				Decision string
				Reasons  []struct{ Code, Fix string }
			}
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil || len(body.Lines) != 2 {
			t.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
		if body.Lines[0].Decision != "blocked" || body.Lines[1].Decision != "blocked" || body.Lines[1].Reasons[0].Code != "UNKNOWN_PRODUCT" || body.Lines[1].Reasons[0].Fix == "" {
			t.Fatalf("decisions: %+v", body.Lines)
		}
		if count(t, db, "purchase_orders") != orders {
			t.Fatal("a check stored an order")
		}
		rec = w.request("buyer", "POST", "/api/v1/procurement/check", map[string]any{"market": "UK", "lines": []map[string]any{{"gtin": "00012345600012", "delivery_date": "2030-01-15"}}})
		if rec.Code != http.StatusBadRequest || errorCode(t, rec) != "INVALID_QUANTITY" || !strings.Contains(rec.Body.String(), "line 1") {
			t.Fatalf("a line without quantity: %d %s", rec.Code, rec.Body.String())
		}
	})
}

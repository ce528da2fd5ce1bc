package procurement_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/procurement"
	"github.com/cascade-gate/cascade/vendors"
)

// BenchmarkSubmit1000Lines submits an order of 1,000 lines (each checked by
// the procurement gate at its delivery date) on SQLite, 30 times, and
// reports the latency percentiles.
func BenchmarkSubmit1000Lines(b *testing.B) {
	ctx := context.Background()
	db := dbtest.SQLite(&testing.T{})
	defer database.Close(db)
	sup, _ := vendors.NewStore(db).Create(system, "Bench Ltd")
	cols := []string{"supplier_id", "sku", "gtin", "brand", "model", "match_key", "category", "markets", "password_model",
		"vuln_report_contact", "support_end", "statement_of_compliance", "ce_marking", "content_hash", "created_at", "updated_at"}
	var rows [][]any
	now := time.Now().UTC()
	for i := range 1000 {
		body := fmt.Sprintf("5%012d", i)
		rows = append(rows, []any{sup.ID, fmt.Sprintf("S-%d", i), body + string(catalog.GTINCheckDigit(body)), "Bench", fmt.Sprintf("M-%d", i),
			catalog.MatchKey("Bench", fmt.Sprintf("M-%d", i)), "smart_plug", "UK", "unique_per_device", "https://b.example/s", "2031-01-31", "included", "yes", "h", now, now})
	}
	if err := database.InsertRows(ctx, db, "products", cols, rows); err != nil {
		b.Fatal(err)
	}
	if _, err := verdicts.New(db).Recompute(system, nil); err != nil {
		b.Fatal(err)
	}
	u, _ := auth.NewService(db).CreateUser(system, auth.NewUser{Email: "b@c.example", Role: access.Buyer, Organisation: "C", Password: "a long enough password"})
	buyer := access.With(ctx, u.Principal())
	svc := procurement.New(db)
	o, err := svc.CreateOrder(buyer, procurement.NewOrder{Reference: "BIG", Market: "UK"})
	if err != nil {
		b.Fatal(err)
	}
	// The bench products claim no label: a policy without procurement's label rule lets every line pass,
	// so the whole path (gate, order update, line records, audit) is measured.
	var raw map[string]any
	json.Unmarshal(policy.Default(), &raw)
	raw["version"] = "bench-no-procurement-label"
	for _, r := range raw["rules"].([]any) {
		rule := r.(map[string]any)
		if rule["code"] == "LABEL_REQUIRED" && rule["channels"] != nil {
			rule["enabled"] = false
		}
	}
	doc, _ := json.Marshal(raw)
	if _, err := svc.Policies().Upload(system, doc); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Policies().Activate(system, "bench-no-procurement-label"); err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO purchase_order_lines (order_id, line_no, product_id, quantity, unit_price, currency, delivery_date)
		SELECT ?, id, id, 1, '10', 'GBP', '2027-06-30' FROM products`, o.ID).Error; err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	for b.Loop() {
		for range 30 {
			db.Exec("UPDATE purchase_orders SET status = 'draft' WHERE id = ?", o.ID)
			var version int
			db.Raw("SELECT version FROM purchase_orders WHERE id = ?", o.ID).Scan(&version)
			start := time.Now()
			_, err := svc.Submit(buyer, o.ID, version)
			lat = append(lat, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
}

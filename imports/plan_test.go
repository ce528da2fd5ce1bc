package imports_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestProductsOfABatchAreFoundByIndex: the verdicts of an import
// (verdicts.RecomputeBatch) find the products it wrote by batch_id, which
// scanned every product (0.25 s at a million) until products_batch. On
// PostgreSQL sequential scans are switched off for the EXPLAIN, since on a
// table this small a scan is the right plan; what is proven is that the
// index exists and serves the query.
func TestProductsOfABatchAreFoundByIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		var plan []string
		err := db.Transaction(func(tx *gorm.DB) error {
			if database.DialectOf(tx) == database.Postgres {
				if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
					return err
				}
				return tx.Raw("EXPLAIN SELECT id FROM products WHERE batch_id = 7").Scan(&plan).Error
			}
			var rows []struct{ Detail string }
			if err := tx.Raw("EXPLAIN QUERY PLAN SELECT id FROM products WHERE batch_id = 7").Scan(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				plan = append(plan, r.Detail)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(plan, "\n"); !strings.Contains(text, "products_batch") {
			t.Fatalf("the plan does not use products_batch:\n%s", text)
		}
	})
}

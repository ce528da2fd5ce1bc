package imports_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestProductsOfABatchAreFoundByIndex: the verdicts of an import
// (verdicts.RecomputeBatch) find the products it wrote by batch_id, which
// scanned every product (0.25 s at a million) until products_batch.
func TestProductsOfABatchAreFoundByIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		if plan := dbtest.Plan(t, db, "SELECT id FROM products WHERE batch_id = 7"); !strings.Contains(plan, "products_batch") {
			t.Fatalf("the plan does not use products_batch:\n%s", plan)
		}
	})
}

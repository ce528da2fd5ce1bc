package procurement_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/procurement"
)

// TestANULInAnOrderReferenceIsRefused: SQLite stored it, PostgreSQL failed
// with the driver's error (a 500).
func TestANULInAnOrderReferenceIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		if _, err := w.svc.CreateOrder(w.buyer, procurement.NewOrder{Reference: "PO-\x001", Market: "UK"}); errs.CodeOf(err) != "INVALID_CHARACTER" {
			t.Fatalf("got %v", err)
		}
	})
}

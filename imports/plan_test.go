package imports_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
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

// TestAfterALargeImportPostgreSQLPlansForTheRowsItWrote: autovacuum
// analyses products only minutes after an import, and until then the next
// import's checks were planned for the products stored before (none, after
// a supplier's first import): 229 rows estimated for 100,000, nested loops
// of an index probe a row instead of hash joins, a third of a 1,000-row
// change import's time on PostgreSQL (issue #18).
func TestAfterALargeImportPostgreSQLPlansForTheRowsItWrote(t *testing.T) {
	const rows = 10_000
	db := dbtest.Postgres(t)
	sup, err := vendors.NewStore(db).Create(admin, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	writeBenchCSV(t, path, rows)
	if _, err := imports.New(db, imports.DefaultLimits).Import(admin, imports.Request{SupplierID: sup.ID, FileName: "big.csv", Path: path}); err != nil {
		t.Fatal(err)
	}
	plan := dbtest.Plan(t, db, fmt.Sprintf("SELECT id FROM products WHERE supplier_id = %d", sup.ID))
	m := regexp.MustCompile(`rows=(\d+)`).FindStringSubmatch(plan)
	if m == nil {
		t.Fatalf("no row estimate in the plan:\n%s", plan)
	}
	if est, _ := strconv.Atoi(m[1]); est < rows/2 || est > rows*2 {
		t.Fatalf("the planner expects %d of the supplier's %d products:\n%s", est, rows, plan)
	}
}

// The statistics are taken after the import's commit, not inside its
// transaction: ANALYZE's lock on products, which two ANALYZEs cannot hold
// at once, would last until the commit and hold up another supplier's
// import (and autovacuum) for as long as the verdicts take.
func TestAnImportHoldsNoAnalyseLockWhileItCommits(t *testing.T) {
	db := dbtest.Postgres(t)
	sup, err := vendors.NewStore(db).Create(admin, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	writeBenchCSV(t, path, 10_000)
	im := imports.New(db, imports.DefaultLimits)
	var other error
	im.OnCommit = func(ctx context.Context, tx *gorm.DB, batchID int64) error {
		// Another session, while this import's transaction is still open.
		other = db.Transaction(func(o *gorm.DB) error {
			if err := o.Exec("SET LOCAL lock_timeout = '500ms'").Error; err != nil {
				return err
			}
			return o.Exec("ANALYZE products (supplier_id)").Error
		})
		return nil
	}
	if _, err := im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: "big.csv", Path: path}); err != nil {
		t.Fatal(err)
	}
	if other != nil {
		t.Fatalf("another session could not analyse products during the import's commit: %v", other)
	}
}

package imports

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/vendors"
)

// Two suppliers upload contradicting offers of one GTIN at the same time.
// Each upload judges its offers against what is committed, so if both
// judged at once, neither would see the other and both would stand
// undisputed; the second must wait for the first and be disputed.
func TestTwoSuppliersUploadingOneGTINAtOnceAreJudgedOneAfterTheOther(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		var reqs []Request
		for i, password := range []string{"unique_per_device", "no_password"} {
			sup, err := vendors.NewStore(db).Create(system, fmt.Sprintf("Supplier %d", i))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "p.csv")
			csv := "sku,gtin,brand,model,category,markets,password_model\nX,4006381333931,Acme,M1,smart_plug,UK," + password + "\n"
			if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, Request{SupplierID: sup.ID, FileName: "p.csv", Path: path})
		}
		entered, release := make(chan struct{}, 2), make(chan struct{})
		im := New(db, DefaultLimits)
		im.beforeReconcile = func() { entered <- struct{}{}; <-release }
		var wg sync.WaitGroup
		errs := make([]error, len(reqs))
		for i, req := range reqs {
			wg.Go(func() { _, errs[i] = im.Import(system, req) })
		}
		<-entered // the first upload is judging its offers
		select {
		case <-entered:
			t.Error("the second upload judged its offers while the first was still judging")
		case <-time.After(1500 * time.Millisecond):
		}
		close(release)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM products WHERE disputed"); n != 1 {
			t.Fatalf("%d of the two contradicting offers are disputed", n)
		}
	})
}

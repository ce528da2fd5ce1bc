package verdicts_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// Pages are evaluated on other goroutines while the writer stores the ones
// before them; the feed must still list a recompute's changes in product
// order, as when one goroutine did everything.
func TestTheChangeFeedListsARecomputesChangesInProductOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		verdicts.SetProductPage(t, 1) // a page per product: the pipeline runs ahead of the writer
		world(t, db)
		var feed []int64
		if err := db.Table("verdict_changes").Order("id").Pluck("product_id", &feed).Error; err != nil {
			t.Fatal(err)
		}
		if len(feed) == 0 || !slices.IsSorted(feed) {
			t.Fatalf("the import's changes are on the feed out of product order: %v", feed)
		}
	})
}

// While the writer stores one page, the pages after it have already been
// evaluated, with the registries as they were. A snapshot that arrives in
// between brings its own recompute; the pages evaluated before it must be
// evaluated again, not written over that recompute's verdicts.
func TestPagesEvaluatedBeforeANewSnapshotAreEvaluatedAgainBeforeTheyAreWritten(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sup := world(t, db)
		// Stale verdicts, so the pages have work: the camera's (the first)
		// and the router's, which the snapshot changes.
		uploadAcme(t, db, sup, false, append(slices.Clone(dropsCameraContact), "UK SG EU,user_defined,security@acme.example", "UK SG EU,user_defined,")...)
		verdicts.SetProductPage(t, 1)
		var router []int64
		db.Table("products").Where("sku = ?", "ACM-RTR-2").Pluck("id", &router)
		var camera []int64
		db.Table("products").Where("sku = ?", "ACM-CAM-1").Pluck("id", &camera)
		if len(router) != 1 || len(camera) != 1 || router[0] <= camera[0] {
			t.Fatalf("the router (%v) must come after the camera (%v)", router, camera)
		}

		var last int64
		svc.BeforeNextWrite(func() { // the camera's page: the router's is evaluated by now, or being evaluated
			sg := strings.Replace(string(registry.Samples()["SG-CLS"]), "2024-12-31,2027-12-31,valid", "2024-12-31,2027-12-31,revoked", 1)
			path := filepath.Join(t.TempDir(), "SG-CLS.csv")
			os.WriteFile(path, []byte(sg), 0o600)
			entries, err := registry.ReadFile(path, "SG-CLS", nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := registry.NewStore(db).Import(admin, registry.NewSnapshot{Scheme: "SG-CLS", Source: "SG-CLS.csv", Entries: entries}); err != nil {
				t.Fatal(err)
			}
			if _, err := verdicts.New(db).Recompute(admin, nil); err != nil {
				t.Fatal(err)
			}
			db.Table("verdict_changes").Select("MAX(id)").Scan(&last)
		})
		if _, err := svc.Recompute(admin, nil); err != nil {
			t.Fatal(err)
		}
		if last == 0 {
			t.Fatal("the snapshot did not arrive between the reading and the writing")
		}
		if g, _ := svc.Gate(admin, verdicts.GateQuery{GTIN: "5901234123457", Market: "SG", Channel: "retail"}); g.Verdict != "blocked" {
			t.Errorf("the router's label is revoked, yet the gate says %+v", g)
		}
		var feed []struct {
			ProductID                 int64
			Market, Channel, Previous string
			Verdict                   string
		}
		db.Table("verdict_changes").Where("id > ?", last).Scan(&feed)
		if len(feed) != 0 {
			t.Fatalf("the newer recompute's verdicts were current, yet the feed got %+v", feed)
		}
		if again, err := svc.Recompute(admin, nil); err != nil || again.Written != 0 {
			t.Fatalf("the stored verdicts are not those of the latest snapshot: %+v %v", again, err)
		}
	})
}

// Products are read for evaluation by hand, not through gorm: every column
// an evaluation, a listing or the impact report reads must come back as
// gorm reads it, labels in the same order.
func TestProductsAreReadForEvaluationAsGormReadsThem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		db.Exec("UPDATE products SET disputed = ? WHERE sku = ?", true, "ACM-PLG-3")
		var want []catalog.Product
		if err := db.Omit("extra").Preload("Labels", func(q *gorm.DB) *gorm.DB { return q.Order("product_id, scheme, label_key") }).Order("id").Find(&want).Error; err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, len(want))
		for i, p := range want {
			ids[i] = p.ID
		}
		got, err := svc.LoadProducts(admin, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("read %d products of %d", len(got), len(want))
		}
		labelled, disputed, declared := 0, 0, 0
		for i := range want {
			w, g := want[i], got[i]
			w.CreatedAt, w.UpdatedAt = g.CreatedAt, g.UpdatedAt // not read: no rule looks at them
			if len(w.Labels) == 0 && len(g.Labels) == 0 {
				w.Labels = g.Labels
			}
			if !reflect.DeepEqual(w, g) {
				t.Errorf("product %d read as\n %+v\nnot\n %+v", w.ID, g, w)
			}
			labelled += min(1, len(g.Labels))
			disputed += map[bool]int{true: 1}[g.Disputed]
			declared += map[bool]int{true: 1}[!g.SupportEnd.IsZero()]
		}
		if labelled == 0 || disputed != 1 || declared == 0 || got[0].BatchID == nil {
			t.Fatalf("the sample no longer exercises labels (%d), disputes (%d), support dates (%d) or batches", labelled, disputed, declared)
		}
	})
}

package verdicts_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// Every catalogue entry point checks its caller itself, whatever handler,
// command or job calls it: a caller with no principal is UNAUTHENTICATED,
// one without the role FORBIDDEN, before anything is read or stored.
func TestCatalogueEntryPointsRefuseCallersWithoutTheRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sup := world(t, db)
		v, _, err := svc.Policies().Active(admin)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "ctm.csv")
		if err := os.WriteFile(file, []byte("label_id,brand,model,status\nCTM-1,Acme,M-1,valid\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		reg := registry.NewStore(db)
		src, err := reg.AddSource(admin, registry.NewSource{Scheme: "DE-BSI", URL: "https://registry.example/de.csv"})
		if err != nil {
			t.Fatal(err)
		}
		var batch int64
		db.Raw("SELECT MAX(id) FROM import_batches").Scan(&batch)

		anonymous := context.Background()
		as := func(r access.Role) context.Context {
			p := access.Principal{UserID: 99, Role: r}
			if r == access.Supplier {
				p.SupplierID = sup.ID
			}
			return access.With(context.Background(), p)
		}
		calls := []struct {
			name   string
			call   func(ctx context.Context) error
			denied []access.Role // signed-in roles refused; every call refuses anonymous callers
		}{
			{"policy.Store.Get", func(ctx context.Context) error { _, _, err := svc.Policies().Get(ctx, v.Version); return err }, nil},
			{"policy.Store.Active", func(ctx context.Context) error { _, _, err := svc.Policies().Active(ctx); return err }, nil},
			{"registry.Store.Scheme", func(ctx context.Context) error { _, err := reg.Scheme(ctx, "SG-CLS"); return err }, nil},
			{"registry.Store.LoadView", func(ctx context.Context) error { _, err := reg.LoadView(ctx, time.Now()); return err }, nil},
			{"catalog.Store.SchemeCodes", func(ctx context.Context) error { _, err := catalog.NewStore(db).SchemeCodes(ctx); return err }, nil},
			{"verdicts.Service.NewEvaluator", func(ctx context.Context) error { _, err := svc.NewEvaluator(ctx); return err }, nil},
			{"verdicts.Service.RecomputeBatch", func(ctx context.Context) error { return svc.RecomputeBatch(ctx, batch) },
				[]access.Role{access.CategoryManager, access.Buyer, access.Approver}},
			{"verdicts.Service.ImportSnapshot", func(ctx context.Context) error {
				_, err := svc.ImportSnapshot(ctx, verdicts.SnapshotFile{Scheme: "US-CTM", Path: file})
				return err
			}, []access.Role{access.CategoryManager, access.Buyer, access.Approver, access.Supplier}},
			{"verdicts.Service.ActivatePolicy", func(ctx context.Context) error { _, err := svc.ActivatePolicy(ctx, v.Version); return err },
				[]access.Role{access.CategoryManager, access.Buyer, access.Approver, access.Supplier}},
			{"verdicts.Service.RefreshSource", func(ctx context.Context) error {
				_, err := svc.RefreshSource(ctx, registry.Fetcher{}, src.ID)
				return err
			}, []access.Role{access.CategoryManager, access.Buyer, access.Approver, access.Supplier}},
			{"verdicts.Service.RefreshSources", func(ctx context.Context) error {
				_, _, err := svc.RefreshSources(ctx, registry.Fetcher{}, []registry.Source{src}, nil)
				return err
			}, []access.Role{access.CategoryManager, access.Buyer, access.Approver, access.Supplier}},
		}
		snapshots := func() (n int64) { db.Raw("SELECT COUNT(*) FROM registry_snapshots").Scan(&n); return n }
		before := snapshots()
		for _, c := range calls {
			if err := c.call(anonymous); errs.KindOf(err) != errs.Unauthenticated {
				t.Errorf("%s without a principal: %v, want UNAUTHENTICATED", c.name, err)
			}
			for _, r := range c.denied {
				if err := c.call(as(r)); errs.KindOf(err) != errs.Forbidden {
					t.Errorf("%s as %s: %v, want FORBIDDEN", c.name, r, err)
				}
			}
		}
		if n := snapshots(); n != before {
			t.Fatalf("refused callers stored %d snapshots", n-before)
		}
		var attempted int64
		db.Raw("SELECT COUNT(*) FROM registry_sources WHERE last_attempt_at IS NOT NULL").Scan(&attempted)
		if attempted != 0 {
			t.Fatal("a refused caller's refresh reached the source")
		}
	})
}

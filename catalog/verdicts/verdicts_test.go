package verdicts_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/civil"
	"github.com/cascade-gate/cascade/app/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

var admin = access.With(context.Background(), access.System("test"))

// world loads the sample registries and imports the Acme sample sheet.
func world(t *testing.T, db *gorm.DB) (*verdicts.Service, vendors.Supplier) {
	t.Helper()
	reg := registry.NewStore(db)
	for scheme, raw := range registry.Samples() {
		path := filepath.Join(t.TempDir(), scheme+".csv")
		os.WriteFile(path, raw, 0o600)
		entries, err := registry.ReadFile(path, scheme, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Import(admin, registry.NewSnapshot{Scheme: scheme, Source: scheme + ".csv", Sample: true, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	sup, err := vendors.NewStore(db).Create(admin, "Acme Connected Ltd")
	if err != nil {
		t.Fatal(err)
	}
	svc := verdicts.New(db)
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = svc.RecomputeBatch
	b, err := im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: "acme.csv", Path: filepath.Join("..", "..", "app", "demo", "samples", "acme.csv")})
	if err != nil || b.RowsRejected != 0 || len(b.Warnings) != 0 {
		t.Fatalf("import: %v %+v", err, b)
	}
	return svc, sup
}

func collect(t *testing.T, list func(func(verdicts.Row) error) error) map[string]verdicts.Row {
	t.Helper()
	out := map[string]verdicts.Row{}
	if err := list(func(r verdicts.Row) error {
		out[r.SKU+" "+r.Market+" "+r.Channel] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportedProductsGetStoredVerdictsPerMarketAndChannel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		got := collect(t, func(fn func(verdicts.Row) error) error { return svc.List(admin, verdicts.Filter{}, fn) })
		want := map[string]string{
			"ACM-CAM-1 UK retail":      "allowed ",
			"ACM-CAM-1 US procurement": "allowed ",
			"ACM-CAM-1 SG procurement": "allowed ",
			"ACM-RTR-2 SG retail":      "allowed ",
			"ACM-RTR-2 SG procurement": "allowed ", // KR-CIC Basic counts as tier 3
			"ACM-PLG-3 UK retail":      "blocked LABEL_REVOKED",
			"ACM-SPK-5 UK retail":      "allowed SUPPORT_ENDS_SOON LABEL_AVAILABLE_UNCLAIMED",
			"ACM-SPK-5 UK procurement": "blocked LABEL_REQUIRED SUPPORT_TOO_SHORT SUPPORT_ENDS_SOON LABEL_AVAILABLE_UNCLAIMED",
			"ACM-BLB-6 EU retail":      "blocked NO_CE_MARKING NO_SUPPORT_PERIOD NO_VULN_DISCLOSURE UNIVERSAL_DEFAULT_PASSWORD",
			"ACM-LAP-7 UK retail":      "allowed OUT_OF_SCOPE",
			"ACM-KTL-8 EU procurement": "allowed OUT_OF_SCOPE",
		}
		for k, w := range want {
			r, ok := got[k]
			if !ok {
				t.Errorf("%s: no verdict", k)
				continue
			}
			if g := r.Verdict + " " + strings.Join(r.Codes, " "); g != w {
				t.Errorf("%s: %q, want %q", k, g, w)
			}
		}
		// 7 products: CAM-1 in 5 markets, RTR-2 in 3, PLG-3 2, SPK-5 2, BLB-6 2, LAP-7 1, KTL-8 2 = 17 markets x 2 channels.
		if len(got) != 34 {
			t.Errorf("%d verdicts, want 34", len(got))
		}
	})
}

func TestForecastChangesNothingStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		var before int64
		db.Table("verdict_changes").Count(&before)
		d, _ := civil.Parse("2027-02-01")
		got := collect(t, func(fn func(verdicts.Row) error) error { return svc.Forecast(admin, d, nil, verdicts.Filter{}, fn) })
		if r := got["ACM-SPK-5 US procurement"]; r.Verdict != "blocked" || !slices.Contains(r.Codes, "US_CTM_REQUIRED") {
			t.Errorf("US procurement from 2027-01-04 needs the Cyber Trust Mark: %+v", r)
		}
		if r := got["ACM-SPK-5 UK retail"]; r.Verdict != "blocked" || !slices.Contains(r.Codes, "SUPPORT_ENDED") {
			t.Errorf("support ended on 2027-01-31: %+v", r)
		}
		var after int64
		db.Table("verdict_changes").Count(&after)
		if after != before {
			t.Fatal("a forecast wrote to the change feed")
		}
	})
}

package imports_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// A price typed with a decimal comma is stored as a number, its currency
// kept; an ambiguous one is stored as written, not guessed.
func TestAnImportStoresDecimalCommaPricesAsNumbersWithTheirCurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		ctx := access.With(context.Background(), access.System("test"))
		sup, err := vendors.NewStore(db).Create(ctx, "Prices Ltd")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "prices.csv")
		os.WriteFile(path, []byte("sku,gtin,brand,model,category,markets,price,currency\n"+
			"P-1,4006381333931,B,M1,smart_plug,UK,\"19,99\",EUR\n"+
			"P-2,5901234123457,B,M2,smart_plug,UK,19.99 €,\n"+
			"P-3,9501101530003,B,M3,smart_plug,UK,\"1,299\",GBP\n"), 0o600)
		b, err := imports.New(db, imports.DefaultLimits).Import(ctx, imports.Request{SupplierID: sup.ID, FileName: "prices.csv", Path: path})
		if err != nil || b.RowsCreated != 3 {
			t.Fatalf("%v %+v", err, b)
		}
		want := map[string]string{"P-1": "19.99 EUR", "P-2": "19.99 EUR", "P-3": "1,299 GBP"}
		var rows []struct{ SKU, Price, Currency string }
		db.Raw("SELECT sku, price, currency FROM products ORDER BY sku").Scan(&rows)
		for _, r := range rows {
			if got := r.Price + " " + r.Currency; got != want[r.SKU] {
				t.Errorf("%s: %q, want %q", r.SKU, got, want[r.SKU])
			}
		}
		if len(rows) != 3 {
			t.Errorf("%d products", len(rows))
		}
	})
}

// A supplier column naming another supplier than the one uploading is
// warned of on its row, not silently kept as extra data; the row is stored.
func TestASupplierColumnNamingAnotherSupplierIsWarnedOf(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		ctx := access.With(context.Background(), access.System("test"))
		sup, err := vendors.NewStore(db).Create(ctx, "Acme Connected Ltd")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "mixed.csv")
		os.WriteFile(path, []byte("sku,gtin,brand,model,category,markets,Supplier\n"+
			"S-1,4006381333931,B,M1,smart_plug,UK,ACME connected  ltd\n"+
			"S-2,5901234123457,B,M2,smart_plug,UK,Northwind Devices GmbH\n"+
			"S-3,9501101530003,B,M3,smart_plug,UK,\n"), 0o600)
		b, err := imports.New(db, imports.DefaultLimits).Import(ctx, imports.Request{SupplierID: sup.ID, FileName: "mixed.csv", Path: path})
		if err != nil || b.RowsCreated != 3 {
			t.Fatalf("%v %+v", err, b)
		}
		var others []imports.Warning
		for _, w := range b.Warnings {
			if w.Code == imports.CodeOtherSupplier {
				others = append(others, w)
			}
		}
		if len(others) != 1 || others[0].Row != 3 || others[0].SKU != "S-2" || !strings.Contains(others[0].Message, "Northwind Devices GmbH") {
			t.Errorf("warnings %+v", b.Warnings)
		}
		stored, err := imports.NewStore(db).Batch(ctx, b.ID)
		if err != nil || len(stored.Warnings) != len(b.Warnings) {
			t.Errorf("stored warnings %+v (%v)", stored.Warnings, err)
		}
	})
}

package catalog_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/vendors"
)

func TestProductListsNeverLoadExtra(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		ctx := access.With(context.Background(), access.System("test"))
		sup, err := vendors.NewStore(db).Create(ctx, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		extra := `{"notes":"` + strings.Repeat("x", 1<<20) + `"}`
		if err := db.Create(&catalog.Product{SupplierID: sup.ID, SKU: "A", GTIN: "04006381333931", Brand: "Acme", Model: "M",
			Category: "smart_plug", Markets: catalog.Markets{"UK"}, Extra: extra}).Error; err != nil {
			t.Fatal(err)
		}
		var stored string
		db.Table("products").Select("extra").Where("sku = 'A'").Scan(&stored)
		if stored != extra {
			t.Fatalf("extra not stored (%d bytes)", len(stored))
		}
		store := catalog.NewStore(db)
		list, err := store.Products(ctx, catalog.ProductFilter{Limit: 100})
		if err != nil || len(list) != 1 || list[0].SKU != "A" || list[0].Extra != "" {
			t.Fatalf("list: %d products, %v; extra loaded: %d bytes", len(list), err, len(list[0].Extra))
		}
		byID, err := store.ProductsByID(ctx, []int64{list[0].ID})
		if err != nil || byID[list[0].ID].SKU != "A" || byID[list[0].ID].Extra != "" {
			t.Fatalf("by id: %v; extra loaded: %d bytes", err, len(byID[list[0].ID].Extra))
		}
	})
}

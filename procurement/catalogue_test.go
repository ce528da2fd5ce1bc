package procurement_test

import (
	"context"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/procurement"
)

// The procurement catalogue is for the people who buy (SPEC §1): buyers,
// approvers and admins; the domain refuses everyone else, so the API and
// the page cannot disagree. Waivers by GTIN resolve as the buyer.
func TestCatalogueAndWaiverByGTINCheckTheirCaller(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		as := func(r access.Role) context.Context {
			return access.With(context.Background(), access.Principal{UserID: 99, Role: r, SupplierID: map[bool]int64{true: 1}[r == access.Supplier], Organisation: "County Council"})
		}
		for _, c := range []struct {
			ctx  context.Context
			name string
			want errs.Kind // 0 = allowed
		}{
			{context.Background(), "anonymous", errs.Unauthenticated},
			{as(access.Supplier), "supplier", errs.Forbidden},
			{as(access.CategoryManager), "category manager", errs.Forbidden},
			{w.buyer, "buyer", 0},
			{w.approver, "approver", 0},
			{system, "admin", 0},
		} {
			n := 0
			err := w.svc.Catalogue(c.ctx, procurement.CatalogueQuery{Market: "uk", Query: "acm-cam"}, func(r procurement.CatalogueItem) error {
				if r.Channel != "procurement" || r.Market != "UK" || r.Verdict != "allowed" || r.SKU != "ACM-CAM-1" {
					t.Errorf("%s: row %+v", c.name, r)
				}
				n++
				return nil
			})
			switch {
			case c.want == 0 && (err != nil || n != 1):
				t.Errorf("%s: %d rows, %v; want the camera", c.name, n, err)
			case c.want != 0 && (errs.KindOf(err) != c.want || n != 0):
				t.Errorf("%s: %d rows, %v; want refused (%v)", c.name, n, err, c.want)
			}
		}
		if err := w.svc.Catalogue(w.buyer, procurement.CatalogueQuery{Market: "XX"}, func(procurement.CatalogueItem) error { return nil }); errs.CodeOf(err) == "" || errs.KindOf(err) != errs.Invalid {
			t.Errorf("unknown market: %v", err)
		}
		// A waiver by GTIN: an approver is refused before the GTIN is looked up, known or not.
		for _, gtin := range []string{w.camera, "96385074"} {
			_, err := w.svc.RequestWaiver(w.approver, procurement.NewWaiver{GTIN: gtin, Market: "UK", Codes: []string{"LABEL_REQUIRED"},
				Justification: "A justification long enough to be read.", ExpiresOn: date("2099-01-01")})
			if errs.KindOf(err) != errs.Forbidden {
				t.Errorf("approver's waiver for %s: %v", gtin, err)
			}
		}
	})
}

// A buyer shops by what a product is called, not only by its codes: the
// catalogue matches the name, brand, model, SKU, GTIN or supplier, in any
// case, and gives each product's name and price with its verdict.
func TestCatalogueSearchesByNameBrandModelAndGTINAndShowsPrices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		cases := []struct {
			name, query string
			want        []string // SKUs
		}{
			{"name", "indoor CAMERA", []string{"ACM-CAM-1"}},
			{"model", "ac-rtr", []string{"ACM-RTR-2"}},
			{"brand", "acme", []string{"ACM-CAM-1", "ACM-PLG-3", "ACM-RTR-2"}},
			{"GTIN, part of it", "0614141", []string{"ACM-PLG-3"}},
			{"supplier", "connected ltd", []string{"ACM-CAM-1", "ACM-PLG-3", "ACM-RTR-2"}},
			{"nothing", "toaster oven", nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var got []string
				err := w.svc.Catalogue(w.buyer, procurement.CatalogueQuery{Market: "UK", All: true, Query: c.query}, func(it procurement.CatalogueItem) error {
					got = append(got, it.SKU)
					if it.SKU == "ACM-CAM-1" && (it.Name != "Acme indoor camera" || it.Brand != "Acme" || it.Price != "79.99" || it.Currency != "GBP" || it.SupplierID == 0) {
						t.Errorf("camera item %+v", it)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, sku := range c.want {
					if !slices.Contains(got, sku) {
						t.Errorf("%q: %v lacks %s", c.query, got, sku)
					}
				}
				if c.want == nil && len(got) != 0 {
					t.Errorf("%q: %v, want nothing", c.query, got)
				}
			})
		}
	})
}

package verdicts_test

import (
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// The text and category filters are the store's (SQL, with LIKE's wildcards
// taken literally), and a forecast filters the same way.
func TestListFiltersByTextAndCategoryInTheQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		asOf, _ := civil.Parse("2026-06-01")
		cases := []struct {
			name string
			f    verdicts.Filter
			want []string // the SKUs listed
		}{
			{"SKU, any case", verdicts.Filter{Query: "acm-cam"}, []string{"ACM-CAM-1"}},
			{"GTIN, part of it", verdicts.Filter{Query: "4006381333"}, []string{"ACM-CAM-1", "ACM-KTL-8"}},
			{"product name, any case", verdicts.Filter{Query: "INDOOR camera"}, []string{"ACM-CAM-1"}},
			{"supplier name, any case", verdicts.Filter{Query: "  CONNECTED ltd "}, []string{"ACM-BLB-6", "ACM-CAM-1", "ACM-KTL-8", "ACM-LAP-7", "ACM-PLG-3", "ACM-RTR-2", "ACM-SPK-5"}},
			{"% is a percent sign", verdicts.Filter{Query: "%"}, nil},
			{"_ is an underscore", verdicts.Filter{Query: "ACM_CAM"}, nil},
			{"category", verdicts.Filter{Category: "router"}, []string{"ACM-RTR-2"}},
			{"category and text", verdicts.Filter{Category: "smart_camera", Query: "rtr"}, nil},
		}
		for _, c := range cases {
			for _, forecast := range []bool{false, true} {
				seen := map[string]bool{}
				fn := func(r verdicts.Row) error { seen[r.SKU] = true; return nil }
				var err error
				if forecast {
					err = svc.Forecast(admin, asOf, nil, c.f, fn)
				} else {
					err = svc.List(admin, c.f, fn)
				}
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for sku := range seen {
					got = append(got, sku)
				}
				slices.Sort(got)
				if strings.Join(got, " ") != strings.Join(c.want, " ") {
					t.Errorf("%s (forecast %v): %v, want %v", c.name, forecast, got, c.want)
				}
			}
		}
	})
}

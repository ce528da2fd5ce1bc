package verdicts_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/vendors"
)

// A search lists each product once, in SKU order, with its true total;
// text covers name, brand, model, SKU and GTIN in any case, a reason
// matches whole codes in any case, and blocked and allowed split the
// products with verdicts in the markets and channels picked.
func TestSearchProductsListsEachProductOnceWithItsTrueTotal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		cases := []struct {
			name string
			q    verdicts.ProductSearch
			want string // the SKUs of the page, then the total
		}{
			{"everything", verdicts.ProductSearch{}, "ACM-BLB-6 ACM-CAM-1 ACM-KTL-8 ACM-LAP-7 ACM-PLG-3 ACM-RTR-2 ACM-SPK-5 = 7"},
			{"a page of two", verdicts.ProductSearch{Offset: 2, Limit: 2}, "ACM-KTL-8 ACM-LAP-7 = 7"},
			{"past the end", verdicts.ProductSearch{Offset: 7, Limit: 2}, " = 7"},
			{"name, any case", verdicts.ProductSearch{Text: "SPEAKER"}, "ACM-SPK-5 = 1"},
			{"brand", verdicts.ProductSearch{Text: "acme"}, "ACM-BLB-6 ACM-CAM-1 ACM-KTL-8 ACM-LAP-7 ACM-PLG-3 ACM-RTR-2 ACM-SPK-5 = 7"},
			{"model", verdicts.ProductSearch{Text: "ac-rtr"}, "ACM-RTR-2 = 1"},
			{"SKU", verdicts.ProductSearch{Text: " acm-plg "}, "ACM-PLG-3 = 1"},
			{"part of a GTIN", verdicts.ProductSearch{Text: "9501101"}, "ACM-SPK-5 = 1"},
			{"% is a percent sign", verdicts.ProductSearch{Text: "%"}, " = 0"},
			{"_ is an underscore", verdicts.ProductSearch{Text: "ACM_CAM"}, " = 0"},
			{"blocked anywhere", verdicts.ProductSearch{Verdict: "blocked"}, "ACM-BLB-6 ACM-PLG-3 ACM-SPK-5 = 3"},
			{"blocked in retail", verdicts.ProductSearch{Verdict: "blocked", Channel: "retail"}, "ACM-BLB-6 ACM-PLG-3 = 2"},
			{"blocked in US procurement", verdicts.ProductSearch{Verdict: "blocked", Market: "us", Channel: "procurement"}, "ACM-SPK-5 = 1"},
			{"allowed in every retail market", verdicts.ProductSearch{Verdict: "allowed", Channel: "retail"}, "ACM-CAM-1 ACM-KTL-8 ACM-LAP-7 ACM-RTR-2 ACM-SPK-5 = 5"},
			{"allowed everywhere", verdicts.ProductSearch{Verdict: "allowed"}, "ACM-CAM-1 ACM-KTL-8 ACM-LAP-7 ACM-RTR-2 = 4"},
			{"offered in SG", verdicts.ProductSearch{Market: "SG"}, "ACM-CAM-1 ACM-RTR-2 = 2"},
			{"reason, lower case", verdicts.ProductSearch{Code: "label_revoked"}, "ACM-PLG-3 = 1"},
			{"reason in a market", verdicts.ProductSearch{Code: "NO_CE_MARKING", Market: "UK"}, " = 0"},
			{"reason and blocked", verdicts.ProductSearch{Code: "SUPPORT_TOO_SHORT", Verdict: "blocked"}, "ACM-PLG-3 ACM-SPK-5 = 2"},
			{"a part of a code is no code", verdicts.ProductSearch{Code: "SUPPORT"}, " = 0"},
			{"support ends in a month", verdicts.ProductSearch{SupportEndMonth: "2027-01"}, "ACM-SPK-5 = 1"},
			{"category and text", verdicts.ProductSearch{Category: "router", Text: "acme"}, "ACM-RTR-2 = 1"},
			{"newly blocked in retail", verdicts.ProductSearch{Verdict: "blocked", Channel: "retail", ChangedSince: time.Now().Add(-time.Hour)}, "ACM-BLB-6 ACM-PLG-3 = 2"},
			{"no change since tomorrow", verdicts.ProductSearch{Verdict: "blocked", ChangedSince: time.Now().Add(24 * time.Hour)}, " = 0"},
		}
		for _, c := range cases {
			pg, err := svc.SearchProducts(admin, c.q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var skus []string
			for _, p := range pg.Products {
				skus = append(skus, p.SKU)
			}
			if got := strings.Join(skus, " ") + " = " + strconv.FormatInt(pg.Total, 10); got != c.want {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
			// The export streams the same products, whatever the page.
			n := int64(0)
			if err := svc.EachProduct(admin, c.q, func(verdicts.ProductVerdicts) error { n++; return nil }); err != nil || n != pg.Total {
				t.Errorf("%s: exported %d (%v), total %d", c.name, n, err, pg.Total)
			}
		}
	})
}

// A row carries every verdict and each blocking reason once, with its
// message, fix and where it blocks: a product blocked only for procurement
// says so.
func TestSearchProductsGivesEachBlockingReasonOnceWithWhereItBlocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		pg, err := svc.SearchProducts(admin, verdicts.ProductSearch{Text: "ACM-SPK-5"})
		if err != nil || len(pg.Products) != 1 {
			t.Fatalf("%+v %v", pg, err)
		}
		p := pg.Products[0]
		if p.Verdict("UK", "retail") != "allowed" || p.Verdict("UK", "procurement") != "blocked" || p.Verdict("EU", "retail") != "" || len(p.Verdicts) != 4 {
			t.Errorf("verdicts %+v", p.Verdicts)
		}
		var got []string
		for _, b := range p.Blocking {
			if b.Message == "" || b.Fix == "" {
				t.Errorf("%s has no message or fix: %+v", b.Code, b)
			}
			got = append(got, b.Code+" "+strings.Join(b.Where, ","))
		}
		if strings.Join(got, "; ") != "LABEL_REQUIRED UK procurement,US procurement; SUPPORT_TOO_SHORT UK procurement,US procurement" {
			t.Errorf("blocking %v", got)
		}
	})
}

// A supplier's user finds only that supplier's products, whatever it asks.
func TestSearchProductsStaysWithinTheSuppliersOwnProducts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sup := world(t, db)
		other, err := vendors.NewStore(db).Create(admin, "Other Ltd")
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[int64]int64{sup.ID: 7, other.ID: 0} {
			ctx := access.With(context.Background(), access.Principal{UserID: 9, Role: access.Supplier, SupplierID: id})
			pg, err := svc.SearchProducts(ctx, verdicts.ProductSearch{SupplierID: sup.ID})
			if err != nil || pg.Total != want || int64(len(pg.Products)) != want {
				t.Errorf("supplier %d: %d of %d (%v), want %d", id, len(pg.Products), pg.Total, err, want)
			}
		}
	})
}

func TestSearchProductsRefusesWhatItCannotFilterBy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		for q, code := range map[verdicts.ProductSearch]string{
			{Market: "XX"}:                "UNKNOWN_MARKET",
			{Channel: "online"}:           "UNKNOWN_CHANNEL",
			{Verdict: "maybe"}:            "UNKNOWN_VERDICT",
			{Code: "NO CE"}:               "UNKNOWN_REASON",
			{Code: "%"}:                   "UNKNOWN_REASON",
			{SupportEndMonth: "2027-13"}:  "INVALID_MONTH",
			{Offset: -1}:                  "INVALID_OFFSET",
			{Limit: verdicts.MaxPage + 1}: "INVALID_LIMIT",
		} {
			_, err := svc.SearchProducts(admin, q)
			if e, ok := errs.As(err); !ok || e.Code != code || e.Kind != errs.Invalid {
				t.Errorf("%+v: %v, want %s", q, err, code)
			}
		}
	})
}

// Every figure of the dashboard is the total of the list it links to, and
// the 30-day trend is a part of the figure beside it: a camera blocked and
// allowed again within the month is not "+5 blocked".
func TestEveryDashboardFigureIsTheTotalOfTheListBehindIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sup := world(t, db)
		uploadAcme(t, db, sup, true, dropsCameraContact...)
		uploadAcme(t, db, sup, true)
		d, err := svc.Dashboard(admin)
		if err != nil {
			t.Fatal(err)
		}
		total := func(q verdicts.ProductSearch) int {
			pg, err := svc.SearchProducts(admin, q)
			if err != nil {
				t.Fatal(err)
			}
			return int(pg.Total)
		}
		figures := 0
		check := func(what string, n int, q verdicts.ProductSearch) {
			figures++
			if got := total(q); got != n {
				t.Errorf("%s: the dashboard says %d, its list holds %d", what, n, got)
			}
		}
		for _, m := range d.Markets {
			allowed, blocked := m.Searches()
			check(m.Market+" "+m.Channel+" allowed", m.Allowed, allowed)
			check(m.Market+" "+m.Channel+" blocked", m.Blocked, blocked)
		}
		for _, r := range d.TopReasons {
			check("reason "+r.Label, r.N, r.Search)
		}
		for _, c := range d.Suppliers {
			check(c.Supplier+" allowed", c.Allowed, c.Search("allowed", false))
			check(c.Supplier+" blocked", c.Blocked, c.Search("blocked", false))
			check(c.Supplier+" newly allowed", c.NewlyAllowed, c.Search("allowed", true))
			check(c.Supplier+" newly blocked", c.NewlyBlocked, c.Search("blocked", true))
			if c.NewlyBlocked > c.Blocked || c.NewlyAllowed > c.Allowed || c.NewlyBlocked != 2 {
				t.Errorf("scorecard %+v: the trend is not a part of its column", c)
			}
		}
		if len(d.Markets) != 10 || figures != 2*10+len(d.TopReasons)+4 {
			t.Errorf("%d figures checked", figures)
		}
		// The bulb is blocked by NO_VULN_DISCLOSURE in 4 markets x channels: one product.
		for _, r := range d.TopReasons {
			if r.Label == "NO_VULN_DISCLOSURE" && r.N != 1 {
				t.Errorf("NO_VULN_DISCLOSURE counts %d products, want 1", r.N)
			}
		}
	})
}

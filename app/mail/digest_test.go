package mail_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/mail"
)

// describe flattens a digest for comparison: one line per thing told.
func describe(d mail.Digest) []string {
	var out []string
	for _, r := range d.Rejected {
		out = append(out, fmt.Sprintf("rejected %s %d", r.FileName, r.Rejected))
		for _, row := range r.Rows {
			out = append(out, fmt.Sprintf("  row %d %s %s %s", row.Row, row.SKU, row.Column, row.Code))
		}
	}
	for _, b := range d.NewlyBlocked {
		out = append(out, fmt.Sprintf("blocked %s %s %s %s", b.SKU, b.Market, b.Channel, strings.Join(b.Codes, " ")))
	}
	for _, u := range d.Upcoming {
		out = append(out, fmt.Sprintf("upcoming %s %s %s %s %s fix=%t", u.SKU, u.Market, u.Channel, u.On, u.Code, u.Fix != ""))
	}
	return out
}

func TestASupplierDigestTellsWhatChangedForThatSupplierInThePeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		s := newShop(t, db)
		now := time.Now().UTC()
		digests := mail.NewDigests(db)
		upcoming := fmt.Sprintf("upcoming SOON-2 UK retail %s SUPPORT_ENDED fix=true", s.supportEnd.AddDays(1))
		cases := []struct {
			name         string
			supplier     int64
			since, until time.Time
			horizon      int
			want         []string
			news         bool // worth a mail
		}{
			{"the period of the uploads", s.acme, now.Add(-hour), now.Add(hour), 90, []string{
				"rejected products.csv 1",
				"  row 4 BAD-3 gtin INVALID_GTIN",
				"blocked PW-1 UK procurement LABEL_REQUIRED UNIVERSAL_DEFAULT_PASSWORD",
				"blocked PW-1 UK retail UNIVERSAL_DEFAULT_PASSWORD",
				"blocked SOON-2 UK procurement LABEL_REQUIRED SUPPORT_TOO_SHORT SUPPORT_ENDS_SOON",
				upcoming,
			}, true},
			// Uploads and changes before the period are old news; upcoming blocks are told still.
			{"a later period", s.acme, now.Add(hour), now.Add(2 * hour), 90, []string{upcoming}, false},
			{"an upcoming block beyond the horizon", s.acme, now.Add(hour), now.Add(2 * hour), 20, nil, false},
			{"another supplier", s.other, now.Add(-hour), now.Add(hour), 90, []string{"blocked OTH-1 UK procurement LABEL_REQUIRED UNIVERSAL_DEFAULT_PASSWORD", "blocked OTH-1 UK retail UNIVERSAL_DEFAULT_PASSWORD"}, true},
		}
		for _, c := range cases {
			digests.Horizon = c.horizon
			d, err := digests.Supplier(system, c.supplier, c.since, c.until)
			if err != nil {
				t.Fatal(err)
			}
			got := describe(d)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("%s:\n got  %q\n want %q", c.name, got, c.want)
			}
			if d.Empty() == c.news {
				t.Errorf("%s: Empty() = %v", c.name, d.Empty())
			}
		}
	})
}

func TestTheWeeklySummaryCountsEverySupplier(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		newShop(t, db)
		now := time.Now().UTC()
		sum, err := mail.NewDigests(db).Summary(system, now.Add(-hour), now.Add(hour))
		if err != nil {
			t.Fatal(err)
		}
		if sum.Imports != 2 || sum.RowsRejected != 1 || len(sum.NewlyBlocked) != 5 || len(sum.Upcoming) != 1 || sum.OpenDisputes != 0 {
			t.Errorf("summary %+v", sum)
		}
	})
}

func TestADigestIsWorthAMailOnlyWithNews(t *testing.T) {
	since := time.Date(2027, 3, 1, 6, 0, 0, 0, time.UTC)
	soon := mail.UpcomingBlock{SKU: "S", On: civil.Date{Year: 2027, Month: 5, Day: 20}} // 80 days after since
	late := mail.UpcomingBlock{SKU: "L", On: civil.Date{Year: 2027, Month: 6, Day: 10}} // 101 days after: came within 90 days during the week
	cases := []struct {
		name string
		d    mail.Digest
		news bool
	}{
		{"nothing", mail.Digest{}, false},
		{"a rejected upload", mail.Digest{Rejected: []mail.RejectedUpload{{FileName: "f.csv", Rejected: 1}}}, true},
		{"a newly blocked product", mail.Digest{NewlyBlocked: []mail.Blocked{{SKU: "X"}}}, true},
		{"an upcoming block already told", mail.Digest{Since: since, Horizon: 90, Upcoming: []mail.UpcomingBlock{soon}}, false},
		{"an upcoming block new within the horizon", mail.Digest{Since: since, Horizon: 90, Upcoming: []mail.UpcomingBlock{soon, late}}, true},
	}
	for _, c := range cases {
		if got := !c.d.Empty(); got != c.news {
			t.Errorf("%s: news = %v, want %v", c.name, got, c.news)
		}
	}
}

package verdicts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// calendarWorld imports, as of 2026-01-15, products whose retail verdicts
// turn blocked on dates the default policy names: the support end, and
// Australia's statement of compliance rule taking effect on 2026-03-04.
// Their procurement verdicts are blocked already (no label).
//
//	A-7 UK     support ends 2026-01-15  blocks 2026-01-16  SUPPORT_ENDED
//	A-1 UK     support ends 2026-01-31  blocks 2026-02-01  SUPPORT_ENDED
//	A-2 UK EU  support ends 2026-02-20  blocks 2026-02-21  SUPPORT_ENDED (two verdicts)
//	A-3 AU     no statement             blocks 2026-03-04  NO_STATEMENT_OF_COMPLIANCE
//	A-4 AU     no statement, ends 03-03 blocks 2026-03-04  NO_STATEMENT_OF_COMPLIANCE SUPPORT_ENDED
//	B-1 US     support ends 2026-06-30  blocks 2026-07-01  SUPPORT_ENDED (supplier Bee)
//	A-5 UK     support ends 2026-12-31  blocks 2027-01-01  after the twelve months
//	A-6 UK     support ended 2026-01-10 blocked already
func calendarWorld(t *testing.T, db *gorm.DB) (*verdicts.Service, [2]vendors.Supplier) {
	t.Helper()
	now := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = func(ctx context.Context, tx *gorm.DB, batch int64) error {
		return verdicts.New(tx).WithClock(clock).RecomputeBatch(ctx, batch)
	}
	// sku, markets, support end, statement of compliance
	rows := [2][][4]string{{
		{"A-7", "UK", "2026-01-15", "included"}, {"A-1", "UK", "2026-01-31", "included"}, {"A-2", "UK EU", "2026-02-20", "included"},
		{"A-3", "AU", "2027-12-31", ""}, {"A-4", "AU", "2026-03-03", ""}, {"A-5", "UK", "2026-12-31", "included"}, {"A-6", "UK", "2026-01-10", "included"},
	}, {
		{"B-1", "US", "2026-06-30", "included"},
	}}
	var sups [2]vendors.Supplier
	n := 200
	for i, name := range []string{"Acme", "Bee"} {
		sup, err := vendors.NewStore(db).Create(admin, name)
		if err != nil {
			t.Fatal(err)
		}
		sups[i] = sup
		csv := "sku,gtin,brand,model,category,markets,support_end,password_model,vuln_report_contact,statement_of_compliance,ce_marking\n"
		for _, r := range rows[i] {
			n++
			csv += fmt.Sprintf("%s,%s,%s,%s,smart_camera,%s,%s,unique_per_device,https://x.example,%s,yes\n", r[0], gtin13(n), name, r[0], r[1], r[2], r[3])
		}
		path := filepath.Join(t.TempDir(), "p.csv")
		os.WriteFile(path, []byte(csv), 0o600)
		if b, err := im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: "p.csv", Path: path}); err != nil || b.RowsRejected > 0 {
			t.Fatalf("import: %v %+v", err, b)
		}
	}
	return verdicts.New(db).WithClock(clock), sups
}

// cells writes a calendar as "month code=n" for every non-empty cell, and
// "month total=n" for every non-empty month.
func cells(c verdicts.Calendar) []string {
	var out []string
	for i, m := range c.Months {
		if c.Totals[i] > 0 {
			out = append(out, fmt.Sprintf("%s total=%d", m, c.Totals[i]))
		}
		for _, r := range c.Reasons {
			if r.Counts[i] > 0 {
				out = append(out, fmt.Sprintf("%s %s=%d", m, r.Code, r.Counts[i]))
			}
		}
	}
	return out
}

func TestTheCalendarCountsUpcomingBlocksByMonthAndReason(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sups := calendarWorld(t, db)
		acme := access.With(admin, access.Principal{UserID: 9, Role: access.Supplier, SupplierID: sups[0].ID})
		bee := access.With(admin, access.Principal{UserID: 10, Role: access.Supplier, SupplierID: sups[1].ID})
		manager := access.With(admin, access.Principal{UserID: 11, Role: access.CategoryManager})
		every := []string{
			"2026-01 total=1", "2026-01 SUPPORT_ENDED=1",
			"2026-02 total=3", "2026-02 SUPPORT_ENDED=3",
			"2026-03 total=2", "2026-03 SUPPORT_ENDED=1", "2026-03 NO_STATEMENT_OF_COMPLIANCE=2",
			"2026-07 total=1", "2026-07 SUPPORT_ENDED=1",
		}
		for _, tc := range []struct {
			name string
			ctx  context.Context
			f    verdicts.CalendarFilter
			want []string
		}{
			{"every supplier's, twelve months", manager, verdicts.CalendarFilter{}, every},
			{"two months", manager, verdicts.CalendarFilter{Months: 2}, every[:4]},
			{"the UK", manager, verdicts.CalendarFilter{Market: "uk"}, []string{"2026-01 total=1", "2026-01 SUPPORT_ENDED=1", "2026-02 total=2", "2026-02 SUPPORT_ENDED=2"}},
			{"Australia in retail: its reasons, most verdicts first", manager, verdicts.CalendarFilter{Market: "AU", Channel: "retail"},
				[]string{"2026-03 total=2", "2026-03 NO_STATEMENT_OF_COMPLIANCE=2", "2026-03 SUPPORT_ENDED=1"}},
			{"procurement: blocked already", manager, verdicts.CalendarFilter{Channel: "procurement"}, nil},
			{"one supplier", manager, verdicts.CalendarFilter{SupplierID: sups[1].ID}, every[7:]},
			{"a supplier, its own", bee, verdicts.CalendarFilter{}, every[7:]},
			{"a supplier asking for another's", bee, verdicts.CalendarFilter{SupplierID: sups[0].ID}, nil},
			{"the other supplier, its own", acme, verdicts.CalendarFilter{}, every[:7]},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c, err := svc.UpcomingCalendar(tc.ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if got := cells(c); !slices.Equal(got, tc.want) {
					t.Fatalf("calendar:\n got %v\nwant %v", got, tc.want)
				}
				months := max(tc.f.Months, 0)
				if months == 0 {
					months = 12
				}
				if len(c.Months) != months || c.Months[0] != "2026-01" || c.From.String() != "2026-01-16" ||
					c.Through.String() != c.Months[months-1]+map[int]string{2: "-28", 12: "-31"}[months] || c.KnownThrough.String() != "2027-01-16" || c.Short() {
					t.Fatalf("months %v from %s through %s known through %s", c.Months, c.From, c.Through, c.KnownThrough)
				}
				// Every cell, month and the whole calendar is the total of the list behind it.
				for i, m := range c.Months {
					check := func(what string, n int, f verdicts.UpcomingFilter) {
						t.Helper()
						total, err := svc.CountUpcomingBlocks(tc.ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						list, err := svc.UpcomingBlocks(tc.ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						if total != int64(n) || len(list) != n {
							t.Errorf("%s counts %d, its list holds %d (total %d)", what, n, len(list), total)
						}
						for _, u := range list {
							if u.BlocksOn.String()[:7] != m && f.Month != "" || f.Code != "" && !slices.Contains(u.Codes, f.Code) {
								t.Errorf("%s lists %+v", what, u)
							}
						}
					}
					check(m, c.Totals[i], c.Filter(m, ""))
					for _, r := range c.Reasons {
						check(m+" "+r.Code, r.Counts[i], c.Filter(m, r.Code))
					}
				}
				sum := 0
				for _, n := range c.Totals {
					sum += n
				}
				if n, err := svc.CountUpcomingBlocks(tc.ctx, c.Filter("", "")); err != nil || n != int64(sum) {
					t.Errorf("the calendar counts %d, its list holds %d (%v)", sum, n, err)
				}
			})
		}
	})
}

func TestTheCalendarIsForThoseWhoSeeUpcomingBlocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := calendarWorld(t, db)
		buyer := access.With(admin, access.Principal{UserID: 8, Role: access.Buyer, Organisation: "City"})
		for _, tc := range []struct {
			ctx  context.Context
			f    verdicts.CalendarFilter
			code string
		}{
			{buyer, verdicts.CalendarFilter{}, "FORBIDDEN"},
			{context.Background(), verdicts.CalendarFilter{}, "UNAUTHENTICATED"},
			{admin, verdicts.CalendarFilter{Months: 13}, "INVALID_MONTHS"},
			{admin, verdicts.CalendarFilter{Months: -1}, "INVALID_MONTHS"},
			{admin, verdicts.CalendarFilter{Market: "XX"}, "UNKNOWN_MARKET"},
			{admin, verdicts.CalendarFilter{Channel: "web"}, "UNKNOWN_CHANNEL"},
		} {
			if _, err := svc.UpcomingCalendar(tc.ctx, tc.f); errs.CodeOf(err) != tc.code {
				t.Errorf("%+v: %v, want %s", tc.f, err, tc.code)
			}
		}
		for _, tc := range []struct {
			f    verdicts.UpcomingFilter
			code string
		}{
			{verdicts.UpcomingFilter{Month: "2026-13"}, "INVALID_MONTH"},
			{verdicts.UpcomingFilter{Month: "2026-1"}, "INVALID_MONTH"},
			{verdicts.UpcomingFilter{Code: "support ended"}, "UNKNOWN_REASON"},
			{verdicts.UpcomingFilter{Code: "%"}, "UNKNOWN_REASON"},
			{verdicts.UpcomingFilter{WithinDays: 367}, "INVALID_WITHIN"},
		} {
			if _, err := svc.UpcomingBlocks(admin, tc.f); errs.CodeOf(err) != tc.code {
				t.Errorf("%+v: %v, want %s", tc.f, err, tc.code)
			}
		}
		// A code is one whole reason, in any case: SUPPORT_ENDED is not SUPPORT_ENDS_SOON, nor matched by
		// SUPPORT. Without a month the list looks as far as the outlook: A-5 (2027-01-01) too.
		for code, want := range map[string]int64{"support_ended": 7, "SUPPORT": 0, "SUPPORT_ENDE": 0, "SUPPORT_ENDS_SOON": 0} {
			if n, err := svc.CountUpcomingBlocks(admin, verdicts.UpcomingFilter{Code: code}); err != nil || n != want {
				t.Errorf("code %s: %d (%v), want %d", code, n, err, want)
			}
		}
	})
}

// A policy whose outlook looks 40 days ahead knows the blocks through
// 2026-02-24 only: the calendar says so, and counts what it knows.
func TestTheCalendarSaysHowFarThePolicysOutlookLooks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := calendarWorld(t, db)
		doc, err := policy.Parse(policy.Default())
		if err != nil {
			t.Fatal(err)
		}
		doc.Version, doc.OutlookDays = "outlook-40", 40
		raw, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Policies().Upload(admin, raw); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Policies().Activate(admin, doc.Version); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Reevaluate(admin, true); err != nil {
			t.Fatal(err)
		}
		c, err := svc.UpcomingCalendar(admin, verdicts.CalendarFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"2026-01 total=1", "2026-01 SUPPORT_ENDED=1", "2026-02 total=3", "2026-02 SUPPORT_ENDED=3"}
		if got := cells(c); c.KnownThrough.String() != "2026-02-24" || !c.Short() || !slices.Equal(got, want) {
			t.Fatalf("known through %s: %v", c.KnownThrough, got)
		}
	})
}

package verdicts_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// upcomingWorld imports, as of 2026-03-01, two suppliers' products whose
// support ends on known dates.
func upcomingWorld(t *testing.T, db *gorm.DB, now *time.Time) (*verdicts.Service, [2]vendors.Supplier) {
	t.Helper()
	clock := func() time.Time { return *now }
	svc := verdicts.New(db).WithClock(clock)
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = func(ctx context.Context, tx *gorm.DB, batch int64) error {
		return verdicts.New(tx).WithClock(clock).RecomputeBatch(ctx, batch)
	}
	var sups [2]vendors.Supplier
	rows := [2]string{
		"A-1,G101,Acme,A1,smart_camera,UK,2026-04-30\nA-2,G102,Acme,A2,smart_camera,UK,2027-12-31\nA-3,G103,Acme,A3,smart_camera,UK,2026-02-01\n",
		"B-1,G104,Bee,B1,smart_camera,UK EU,2026-05-15\n",
	}
	for i, name := range []string{"Acme", "Bee"} {
		sup, err := vendors.NewStore(db).Create(admin, name)
		if err != nil {
			t.Fatal(err)
		}
		sups[i] = sup
		path := filepath.Join(t.TempDir(), "p.csv")
		csv := "sku,gtin,brand,model,category,markets,support_end,password_model,vuln_report_contact,statement_of_compliance,ce_marking\n"
		for _, line := range splitLines(rows[i]) {
			for n := 101; n <= 104; n++ {
				line = strings.Replace(line, "G"+strconv.Itoa(n), gtin13(n), 1)
			}
			csv += line + ",unique_per_device,https://x.example,included,yes\n"
		}
		os.WriteFile(path, []byte(csv), 0o600)
		if b, err := im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: "p.csv", Path: path}); err != nil || b.RowsRejected > 0 {
			t.Fatalf("import: %v %+v", err, b)
		}
	}
	return svc, sups
}

func TestUpcomingBlocksListWhatTurnsBlockedWithinTheNoticePeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		now := time.Date(2026, 3, 1, 2, 15, 0, 0, time.UTC)
		svc, sups := upcomingWorld(t, db, &now)
		list := func(ctx context.Context, f verdicts.UpcomingFilter) []string {
			t.Helper()
			got, err := svc.UpcomingBlocks(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, u := range got {
				out = append(out, fmt.Sprintf("%s %s %s %s %v", u.SKU, u.Market, u.Channel, u.BlocksOn, u.Codes))
			}
			return out
		}
		// Procurement is blocked already (no label); A-3's support has ended; A-2 ends after 90 days.
		want := []string{"A-1 UK retail 2026-05-01 [SUPPORT_ENDED]", "B-1 EU retail 2026-05-16 [SUPPORT_ENDED]", "B-1 UK retail 2026-05-16 [SUPPORT_ENDED]"}
		if got := list(admin, verdicts.UpcomingFilter{WithinDays: 90}); !slices.Equal(got, want) {
			t.Fatalf("within 90d:\n got %v\nwant %v", got, want)
		}
		if got := list(admin, verdicts.UpcomingFilter{WithinDays: 61}); !slices.Equal(got, want[:1]) {
			t.Fatalf("within 61d: %v", got)
		}
		if got := list(admin, verdicts.UpcomingFilter{WithinDays: 90, Market: "eu"}); !slices.Equal(got, want[1:2]) {
			t.Fatalf("EU: %v", got)
		}
		bee := access.With(admin, access.Principal{UserID: 9, Role: access.Supplier, SupplierID: sups[1].ID})
		if got := list(bee, verdicts.UpcomingFilter{WithinDays: 90, SupplierID: sups[0].ID}); len(got) != 0 {
			t.Fatalf("a supplier sees another's upcoming blocks: %v", got)
		}
		if got := list(bee, verdicts.UpcomingFilter{WithinDays: 90}); !slices.Equal(got, want[1:]) {
			t.Fatalf("the supplier's own: %v", got)
		}
		buyer := access.With(admin, access.Principal{UserID: 8, Role: access.Buyer, Organisation: "City"})
		if _, err := svc.UpcomingBlocks(buyer, verdicts.UpcomingFilter{WithinDays: 90}); errs.CodeOf(err) != "FORBIDDEN" {
			t.Fatalf("a buyer: %v", err)
		}
		// The nightly run on the block date turns it blocked; it is no longer upcoming.
		now = time.Date(2026, 5, 1, 2, 15, 0, 0, time.UTC)
		if _, err := svc.Reevaluate(admin, false); err != nil {
			t.Fatal(err)
		}
		if got := list(admin, verdicts.UpcomingFilter{WithinDays: 90}); !slices.Equal(got, want[1:]) {
			t.Fatalf("after A-1 turned blocked: %v", got)
		}
		var a1 string
		db.Raw("SELECT v.verdict FROM verdicts v JOIN products p ON p.id = v.product_id WHERE p.sku = 'A-1' AND v.channel = 'retail'").Scan(&a1)
		if a1 != "blocked" {
			t.Fatalf("A-1 on its block date: %s", a1)
		}
	})
}

func TestWithinIsANumberOfDays(t *testing.T) {
	for in, want := range map[string]int{"90d": 90, "1d": 1, " 30d ": 30, "366d": 366, "90": 0, "0d": 0, "-5d": 0, "367d": 0, "d": 0, "3w": 0} {
		got, err := verdicts.ParseWithin(in)
		if got != want || (want == 0) != (errs.CodeOf(err) == "INVALID_WITHIN") {
			t.Errorf("ParseWithin(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

// The nightly run evaluates only what is due: run again on the same day it
// evaluates nothing; on a day no verdict names, nothing; on a named day,
// just the products due.
func TestTheNightlyRunEvaluatesOnlyTheVerdictsDue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		now := time.Date(2026, 3, 1, 2, 15, 0, 0, time.UTC)
		svc, _ := upcomingWorld(t, db, &now)
		run := func(all bool) verdicts.Stats {
			t.Helper()
			st, err := svc.Reevaluate(admin, all)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		if st := run(false); st.Products != 4 { // no run recorded its inputs yet: every product
			t.Fatalf("first run: %+v", st)
		}
		if st := run(false); st.Products != 0 || st.AsOf != "2026-03-01" || st.PolicyVersion == "" {
			t.Fatalf("again, nothing changed: %+v", st)
		}
		now = now.AddDate(0, 0, 2) // 2026-03-03: no verdict names it
		if st := run(false); st.Products != 0 {
			t.Fatalf("a day no verdict names: %+v", st)
		}
		now = time.Date(2026, 5, 1, 2, 15, 0, 0, time.UTC) // A-1's support ended on 2026-04-30: blocked in retail, another reason in procurement
		if st := run(false); st.Products != 1 || st.Changed != 2 {
			t.Fatalf("A-1's block date: %+v", st)
		}
		if st := run(true); st.Products != 4 || st.Changed != 0 {
			t.Fatalf("--all: %+v", st)
		}
	})
}

func splitLines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

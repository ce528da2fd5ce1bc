package verdicts_test

import (
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// BenchmarkScaleOnPostgreSQL is #18 part 6 on PostgreSQL: a catalogue of
// CASCADE_BENCH_PRODUCTS products (250,000 unless set; 2,500,000 make the
// issue's 10M verdicts: 2 markets x 2 channels each), its first evaluation,
// the nightly run with nothing due, the nightly run with 0.1% of the
// products due, and the run after a registry snapshot that revokes 100
// labels. The 0.1% are made due by moving their verdicts' next check date
// to today, which is what the arrival of a date the inputs name does.
// Needs CASCADE_TEST_POSTGRES; goals: nightly <= 5 s, snapshot <= 2 s.
func BenchmarkScaleOnPostgreSQL(b *testing.B) {
	n := incrementalBenchProducts(b)
	for b.Loop() {
		b.StopTimer()
		db := seedCatalogueAt(b, dbtest.PostgresDSN(b), n)
		if err := db.Exec("ANALYZE").Error; err != nil { // as autovacuum would have by now
			b.Fatal(err)
		}
		reg := registry.NewStore(db)
		if _, err := reg.Import(admin, registry.NewSnapshot{Scheme: "US-CTM", Source: "bench", Entries: ctmSnapshot(0)}); err != nil {
			b.Fatal(err)
		}
		svc := verdicts.New(db)
		b.StartTimer()

		timed := func(what string, all bool) (verdicts.Stats, time.Duration) {
			start := time.Now()
			st, err := svc.Reevaluate(admin, all)
			if err != nil {
				b.Fatalf("%s: %v", what, err)
			}
			return st, time.Since(start)
		}
		first, firstT := timed("first evaluation", true)
		if first.Products != n || first.Verdicts != 4*n {
			b.Fatalf("first evaluation: %+v", first)
		}
		if err := db.Exec("ANALYZE verdicts").Error; err != nil {
			b.Fatal(err)
		}
		nothing, nothingT := timed("nightly, nothing due", false)
		if nothing.Written != 0 {
			b.Fatalf("nightly, nothing due: %+v", nothing)
		}
		today := civil.Of(time.Now()).String()
		// The arrival of a date the outlook names moves the outlook, which
		// the content hash covers: the due verdicts are written again, as
		// they would be. (With the hash left alone they would be evaluated,
		// found unchanged, and stay due.)
		if err := db.Exec("UPDATE verdicts SET next_check_on = ?, content_hash = 'due' WHERE product_id % 1000 = 0", today).Error; err != nil {
			b.Fatal(err)
		}
		due, dueT := timed("nightly, 0.1% due", false)
		if due.Products < n/1000-1 || due.Products > n/1000+1 {
			b.Fatalf("nightly, 0.1%% due: %d products evaluated, want about %d", due.Products, n/1000)
		}
		if _, err := reg.Import(admin, registry.NewSnapshot{Scheme: "US-CTM", Source: "bench", Entries: ctmSnapshot(100)}); err != nil {
			b.Fatal(err)
		}
		snap, snapT := timed("after a snapshot revoking 100 labels", false)
		if snap.Products < 100 || snap.Products >= 100+n/1000 || snap.Changed == 0 {
			b.Fatalf("after the snapshot: %+v", snap)
		}
		b.ReportMetric(float64(first.Verdicts), "verdicts")
		b.ReportMetric(firstT.Seconds(), "first-s")
		b.ReportMetric(float64(first.Verdicts)/firstT.Seconds(), "first-verdicts/s")
		b.ReportMetric(nothingT.Seconds(), "nightly-none-due-s")
		b.ReportMetric(dueT.Seconds(), "nightly-0.1%-due-s")
		b.ReportMetric(float64(due.Products), "nightly-due-products")
		b.ReportMetric(float64(due.Written), "nightly-due-written")
		b.ReportMetric(snapT.Seconds(), "snapshot-s")
		b.ReportMetric(float64(snap.Products), "snapshot-products")
	}
}

package verdicts_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// incrementalBenchProducts is BenchmarkIncremental's catalogue size
// (CASCADE_BENCH_PRODUCTS overrides it); each product has 4 verdicts.
func incrementalBenchProducts(b *testing.B) int {
	if s := os.Getenv("CASCADE_BENCH_PRODUCTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 2000 {
			b.Fatalf("CASCADE_BENCH_PRODUCTS=%q: give at least 2000", s)
		}
		return n
	}
	return benchProducts
}

// ctmSnapshot is a US-CTM registry listing the first 1,000 benchmark
// models, the first changed of them revoked.
func ctmSnapshot(changed int) []registry.Entry {
	var out []registry.Entry
	for i := range 1000 {
		model := fmt.Sprintf("BM-%06d", i*7+1) // not every seventh (universal default passwords): allowed products
		e := registry.Entry{LabelID: fmt.Sprintf("CTM-%06d", i), Brand: "Bench", Model: model, Status: registry.StatusValid}
		e.LabelKey = strings.ToLower(e.LabelID)
		if i < changed {
			e.Status = registry.StatusRevoked
		}
		out = append(out, e)
	}
	return out
}

// BenchmarkIncremental measures, against a full evaluation of the same
// catalogue in the same iteration (every product read and evaluated, nothing
// changed, nothing written), the nightly run with nothing changed and the
// run after a registry snapshot that changes 10 entries.
func BenchmarkIncremental(b *testing.B) {
	n := incrementalBenchProducts(b)
	for b.Loop() {
		b.StopTimer()
		db := seedCatalogue(b, n)
		reg := registry.NewStore(db)
		if _, err := reg.Import(admin, registry.NewSnapshot{Scheme: "US-CTM", Source: "bench", Entries: ctmSnapshot(0)}); err != nil {
			b.Fatal(err)
		}
		svc := verdicts.New(db)
		first, err := svc.Reevaluate(admin, true)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		full, err := svc.Reevaluate(admin, true)
		fullT := time.Since(start)
		if err != nil || full.Written != 0 || full.Products != n {
			b.Fatalf("full run, nothing changed: %+v %v", full, err)
		}
		start = time.Now()
		nothing, err := svc.Reevaluate(admin, false)
		nothingT := time.Since(start)
		if err != nil || nothing.Written != 0 {
			b.Fatalf("incremental run, nothing changed: %+v %v", nothing, err)
		}
		if _, err := reg.Import(admin, registry.NewSnapshot{Scheme: "US-CTM", Source: "bench", Entries: ctmSnapshot(10)}); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		snap, err := svc.Reevaluate(admin, false)
		snapT := time.Since(start)
		if err != nil || snap.Products < 10 || snap.Changed == 0 {
			b.Fatalf("incremental run after the snapshot: %+v %v", snap, err)
		}
		b.ReportMetric(float64(first.Verdicts), "verdicts")
		b.ReportMetric(fullT.Seconds(), "full-s")
		b.ReportMetric(nothingT.Seconds(), "unchanged-s")
		b.ReportMetric(nothingT.Seconds()/fullT.Seconds(), "unchanged/full")
		b.ReportMetric(float64(nothing.Products), "unchanged-products")
		b.ReportMetric(snapT.Seconds(), "snapshot-s")
		b.ReportMetric(snapT.Seconds()/fullT.Seconds(), "snapshot/full")
		b.ReportMetric(float64(snap.Products), "snapshot-products")
	}
}

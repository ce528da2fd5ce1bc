package imports_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// BenchmarkDryRun compares a dry run of a file with its real import, each on
// a fresh database with the default policy and verdicts recomputed in the
// commit: the issue asks for a dry run "in the same time as a real import".
// dry/import is the ratio measured in the same run.
func BenchmarkDryRun(b *testing.B) {
	for _, c := range []struct {
		kind string
		rows int
	}{{"csv", 20_000}, {"xlsx-inline", 20_000}} {
		b.Run(fmt.Sprintf("%s/rows=%d", c.kind, c.rows), func(b *testing.B) {
			path := benchFile(b, c.kind, c.rows)
			var importT, dryT time.Duration
			for b.Loop() {
				b.StopTimer()
				db, sup := freshDB(b)
				ddb, dsup := freshDB(b)
				if err := policy.InstallDefault(admin, db); err != nil {
					b.Fatal(err)
				}
				if err := policy.InstallDefault(admin, ddb); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				im := imports.New(db, imports.DefaultLimits)
				im.OnCommit = verdicts.AfterImport
				start := time.Now()
				batch, err := im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: c.kind, Path: path})
				importT += time.Since(start)
				if err != nil || batch.RowsCreated != c.rows {
					b.Fatalf("import: %v %+v", err, batch)
				}
				dm := imports.New(ddb, imports.DefaultLimits)
				dm.OnCommit = verdicts.AfterImport
				start = time.Now()
				dry, err := dm.DryRun(admin, imports.Request{SupplierID: dsup.ID, FileName: c.kind, Path: path})
				dryT += time.Since(start)
				if err != nil || dry.Import.RowsCreated != c.rows {
					b.Fatalf("dry run: %v %+v", err, dry.Import)
				}
			}
			n := float64(b.N)
			b.ReportMetric(importT.Seconds()/n, "import-s")
			b.ReportMetric(dryT.Seconds()/n, "dry-s")
			b.ReportMetric(dryT.Seconds()/importT.Seconds(), "dry/import")
		})
	}
}

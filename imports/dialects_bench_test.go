package imports_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// BenchmarkImportOnBothDatabases imports the same 100k-row CSV end to end
// into a fresh SQLite file and a fresh PostgreSQL schema in each iteration,
// then the same file with 1,000 rows changed on top of it, and reports
// each time and pg/sqlite. Needs CASCADE_TEST_POSTGRES.
func BenchmarkImportOnBothDatabases(b *testing.B) {
	const rows, changed = 100_000, 1_000
	path := benchFile(b, "csv", rows)
	changedPath := filepath.Join(b.TempDir(), "changed.csv")
	writeChangedCSV(b, path, changedPath, changed)
	var sqliteT, pgT, sqliteChangeT, pgChangeT time.Duration
	for b.Loop() {
		for _, d := range []struct {
			dsn          string
			full, change *time.Duration
		}{
			{dbtest.SQLiteDSN(b), &sqliteT, &sqliteChangeT},
			{dbtest.PostgresDSN(b), &pgT, &pgChangeT},
		} {
			db, sup := benchDatabase(b, d.dsn)
			*d.full += timedImport(b, db, sup.ID, path, rows, 0)
			*d.change += timedImport(b, db, sup.ID, changedPath, 0, changed)
			database.Close(db)
		}
	}
	n := float64(b.N)
	b.ReportMetric(sqliteT.Seconds()/n, "sqlite-s")
	b.ReportMetric(pgT.Seconds()/n, "pg-s")
	b.ReportMetric(pgT.Seconds()/sqliteT.Seconds(), "pg/sqlite")
	b.ReportMetric(sqliteChangeT.Seconds()/n, "sqlite-change-s")
	b.ReportMetric(pgChangeT.Seconds()/n, "pg-change-s")
	b.ReportMetric(pgChangeT.Seconds()/sqliteChangeT.Seconds(), "pg/sqlite-change")
}

func benchDatabase(b *testing.B, dsn string) (*gorm.DB, vendors.Supplier) {
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	sup, err := vendors.NewStore(db).Create(admin, "Acme")
	if err != nil {
		b.Fatal(err)
	}
	return db, sup
}

func timedImport(b *testing.B, db *gorm.DB, supplierID int64, path string, created, updated int) time.Duration {
	start := time.Now()
	batch, err := imports.New(db, imports.DefaultLimits).Import(admin, imports.Request{SupplierID: supplierID, FileName: "bench.csv", Path: path})
	took := time.Since(start)
	if err != nil || batch.RowsCreated != created || batch.RowsUpdated != updated {
		b.Fatalf("import: %v %+v", err, batch)
	}
	return took
}

// writeChangedCSV copies the CSV at from to to with the price of its first
// n rows changed.
func writeChangedCSV(b *testing.B, from, to string, n int) {
	raw, err := os.ReadFile(from)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	for i := 1; i <= n; i++ {
		lines[i] = strings.Replace(lines[i], ",49.99", fmt.Sprintf(",%d.50", i), 1)
	}
	if err := os.WriteFile(to, []byte(strings.Join(lines, "")), 0o600); err != nil {
		b.Fatal(err)
	}
}

package imports_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// startedDB is freshDB as start-up leaves it for an import with verdicts:
// the default policy and the sample registries installed.
func startedDB(b *testing.B) (*gorm.DB, int64) {
	db, sup := freshDB(b)
	if err := policy.InstallDefault(context.Background(), db); err != nil {
		b.Fatal(err)
	}
	reg := registry.NewStore(db)
	for scheme, raw := range registry.Samples() {
		p := filepath.Join(b.TempDir(), scheme+".csv")
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			b.Fatal(err)
		}
		entries, err := registry.ReadFile(p, scheme, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := reg.Import(admin, registry.NewSnapshot{Scheme: scheme, Source: "sample", Sample: true, Entries: entries}); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Exec(`CREATE TABLE floor_verdicts (product_id BIGINT, market TEXT, channel TEXT, verdict TEXT, codes TEXT,
		outcome_id BIGINT, policy_id BIGINT, as_of TEXT, content_hash TEXT, evaluated_at TIMESTAMP)`).Error; err != nil {
		b.Fatal(err)
	}
	return db, sup.ID
}

// verdictsFloor is the floor issue #18 sets an import with its verdicts
// against: encoding/csv, then, in one transaction, prepared multi-row
// INSERTs of the rows into the products table (its keys and indexes, as
// productsFloor) and of 4 verdict rows a product (2 markets, 2 channels, a
// realistic row each, referring to its reasons and evidence by id as the
// service's rows do) into a plain table, as BenchmarkRecompute's floor
// writes them. The products' ids come from the INSERTs' results (a
// multi-row INSERT into a fresh table takes consecutive ids), so the floor
// runs no query but its INSERTs; it returns how many verdict rows it wrote.
func verdictsFloor(b *testing.B, db *gorm.DB, supplierID int64, path string) int {
	const per = 100 // rows a statement, as database.InsertRows
	vcols := []string{"product_id", "market", "channel", "verdict", "codes", "outcome_id", "policy_id", "as_of", "content_hash", "evaluated_at"}
	sqlDB, err := db.DB()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	insert := func(table string, cols []string, rows int) *sql.Stmt {
		one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
		stmt, err := tx.PrepareContext(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES "+strings.TrimSuffix(strings.Repeat(one+",", rows), ","))
		if err != nil {
			b.Fatal(err)
		}
		return stmt
	}
	fullProducts, fullVerdicts := insert("products", floorProductColumns, per), insert("floor_verdicts", vcols, per)
	defer fullProducts.Close()
	defer fullVerdicts.Close()
	now := time.Now().UTC()
	var products, verdictArgs []any
	var markets [][]string
	written := 0
	flushVerdicts := func(all bool) {
		for len(verdictArgs) >= per*len(vcols) || (all && len(verdictArgs) > 0) {
			n := min(per, len(verdictArgs)/len(vcols))
			stmt := fullVerdicts
			if n < per {
				stmt = insert("floor_verdicts", vcols, n)
				defer stmt.Close()
			}
			if _, err := stmt.ExecContext(ctx, verdictArgs[:n*len(vcols)]...); err != nil {
				b.Fatal(err)
			}
			written += n
			verdictArgs = verdictArgs[n*len(vcols):]
		}
	}
	flushProducts := func() {
		n := len(markets)
		if n == 0 {
			return
		}
		stmt := fullProducts
		if n < per {
			stmt = insert("products", floorProductColumns, n)
			defer stmt.Close()
		}
		res, err := stmt.ExecContext(ctx, products...)
		if err != nil {
			b.Fatal(err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			b.Fatal(err)
		}
		for i, ms := range markets {
			id := last - int64(n-1-i)
			for _, m := range ms {
				for _, ch := range catalog.Channels {
					verdictArgs = append(verdictArgs, id, m, ch, "blocked", "LABEL_REQUIRED", 1, 1, "2026-11-24", "h", now)
				}
			}
		}
		products, markets = products[:0], markets[:0]
		flushVerdicts(false)
	}
	first := true
	readCSVRaw(b, path, func(cells []string) {
		if first {
			first = false
			return
		}
		for i, c := range cells {
			if i != 12 { // labels
				products = append(products, c)
			}
		}
		products = append(products, supplierID, cells[3], "", now, now)
		markets = append(markets, strings.Fields(cells[6]))
		if len(markets) == per {
			flushProducts()
		}
	})
	flushProducts()
	flushVerdicts(true)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return written
}

// BenchmarkImportWithVerdicts imports a generated CSV end to end as
// `cascade import` does, its verdicts included (the importer's commit
// recomputes the batch's products), against verdictsFloor in the same
// iteration; and, for reference, the same import without its verdicts.
func BenchmarkImportWithVerdicts(b *testing.B) {
	for _, rows := range []int{100_000, 200_000} {
		b.Run(fmt.Sprintf("csv/rows=%d", rows), func(b *testing.B) {
			path := benchFile(b, "csv", rows)
			var floorT, aloneT, endT time.Duration
			for b.Loop() {
				b.StopTimer()
				fdb, fsup := startedDB(b)
				start := time.Now()
				floorRows := verdictsFloor(b, fdb, fsup, path)
				floorT += time.Since(start)
				adb, asup := startedDB(b)
				start = time.Now()
				if _, err := imports.New(adb, imports.DefaultLimits).Import(admin, imports.Request{SupplierID: asup, FileName: "alone.csv", Path: path}); err != nil {
					b.Fatal(err)
				}
				aloneT += time.Since(start)
				db, sup := startedDB(b)
				b.StartTimer()
				start = time.Now()
				im := imports.New(db, imports.DefaultLimits)
				im.OnCommit = verdicts.AfterImport
				batch, err := im.Import(admin, imports.Request{SupplierID: sup, FileName: "bench.csv", Path: path})
				endT += time.Since(start)
				b.StopTimer()
				if err != nil || batch.RowsCreated != rows {
					b.Fatalf("import: %v %+v", err, batch)
				}
				var stored, feed int64
				db.Table("verdicts").Count(&stored)
				db.Table("verdict_changes").Count(&feed)
				if int(stored) != floorRows || int(feed) != floorRows {
					b.Fatalf("%d verdicts and %d changes stored, the floor wrote %d", stored, feed, floorRows)
				}
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(floorT.Seconds()/n, "floor-s")
			b.ReportMetric(aloneT.Seconds()/n, "import-alone-s")
			b.ReportMetric(endT.Seconds()/n, "end-to-end-s")
			b.ReportMetric(endT.Seconds()/floorT.Seconds(), "end-to-end/floor")
			b.ReportMetric((endT-aloneT).Seconds()/n, "verdicts-s")
		})
	}
}

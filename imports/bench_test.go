package imports_test

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/cpuclock"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// benchColumns are the 15 columns of the benchmark supplier sheet.
var benchColumns = []string{"sku", "gtin", "brand", "model", "name", "category", "markets", "password_model",
	"vuln_report_contact", "support_end", "statement_of_compliance", "ce_marking", "labels", "firmware_version", "price"}

func benchRow(i int) []string {
	labels := ""
	if i%10 == 0 {
		labels = "SG-CLS:CSA/300629/" + fmt.Sprintf("%05d", i%100000)
	}
	return []string{
		fmt.Sprintf("SKU-%07d", i), gtinFor(i), "Acme", fmt.Sprintf("AC-%06d", i), fmt.Sprintf("Acme device %d", i),
		[]string{"smart_camera", "smart_plug", "router", "smart_speaker"}[i%4], "UK EU", "unique_per_device",
		"https://acme.example/security", "2029-06-30", "included", "yes", labels, "1.2.3", "49.99",
	}
}

// writeBenchXLSX writes an n-row workbook by hand (as another program
// would), with strings either in a shared-strings table or inline.
func writeBenchXLSX(tb testing.TB, path string, n int, shared bool) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(f)
	add := func(name, body string) {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	sst := map[string]int{}
	var sstOrder []string
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	fmt.Fprintf(bw, `<dimension ref="A1:O%d"/><sheetData>`, n+1)
	writeRow := func(r int, cells []string) {
		fmt.Fprintf(bw, `<row r="%d">`, r)
		for c, v := range cells {
			if v == "" {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(c+1, r)
			if !shared {
				fmt.Fprintf(bw, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, v)
				continue
			}
			idx, ok := sst[v]
			if !ok {
				idx = len(sstOrder)
				sst[v] = idx
				sstOrder = append(sstOrder, v)
			}
			fmt.Fprintf(bw, `<c r="%s" t="s"><v>%d</v></c>`, ref, idx)
		}
		bw.WriteString(`</row>`)
	}
	writeRow(1, benchColumns)
	for i := range n {
		writeRow(i+2, benchRow(i))
	}
	bw.WriteString(`</sheetData></worksheet>`)
	bw.Flush()
	w, _ = zw.Create("xl/sharedStrings.xml")
	bw = bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(sstOrder), len(sstOrder))
	for _, s := range sstOrder {
		fmt.Fprintf(bw, `<si><t>%s</t></si>`, s)
	}
	bw.WriteString(`</sst>`)
	bw.Flush()
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

func writeBenchCSV(tb testing.TB, path string, n int) {
	tb.Helper()
	f, _ := os.Create(path)
	w := csv.NewWriter(bufio.NewWriter(f))
	w.Write(benchColumns)
	for i := range n {
		w.Write(benchRow(i))
	}
	w.Flush()
	f.Close()
}

// benchFile returns a generated file, made once per process.
var benchFiles sync.Map

func benchFile(b *testing.B, kind string, n int) string {
	key := fmt.Sprintf("%s-%d", kind, n)
	if p, ok := benchFiles.Load(key); ok {
		return p.(string)
	}
	dir, _ := os.MkdirTemp("", "cascade-bench")
	path := filepath.Join(dir, key)
	switch kind {
	case "xlsx-shared":
		writeBenchXLSX(b, path, n, true)
	case "xlsx-inline":
		writeBenchXLSX(b, path, n, false)
	case "csv":
		writeBenchCSV(b, path, n)
	}
	benchFiles.Store(key, path)
	return path
}

// heapUse is what a function run under measure took: its duration, the
// peak of the heap above what was live before it (garbage not yet
// collected included, so it moves with where the collections fall), and
// the peak of the live heap the collections found during it (what the
// function held: steadier, since garbage timing does not enter it), and
// all it allocated (which sets how often the collector runs, and how far
// the heap overshoots while it does).
type heapUse struct {
	elapsed, cpu            time.Duration // the wall clock and the process's CPU time
	peakMB, liveMB, allocMB float64
}

func measure(fn func()) heapUse {
	runtime.GC()
	const heap, live, allocs = "/memory/classes/heap/objects:bytes", "/gc/heap/live:bytes", "/gc/heap/allocs:bytes"
	sample := []metrics.Sample{{Name: heap}, {Name: live}, {Name: allocs}}
	metrics.Read(sample)
	base, baseLive, baseAllocs := sample[0].Value.Uint64(), sample[1].Value.Uint64(), sample[2].Value.Uint64()
	var peak, peakLive uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: heap}, {Name: live}}
		for {
			metrics.Read(s)
			peak, peakLive = max(peak, s[0].Value.Uint64()), max(peakLive, s[1].Value.Uint64())
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	start, startCPU := time.Now(), cpuclock.Used()
	fn()
	elapsed, cpu := time.Since(start), cpuclock.Used()-startCPU
	close(done)
	wg.Wait()
	metrics.Read(sample)
	mb := func(v, base uint64) float64 { return float64(v-min(v, base)) / (1 << 20) }
	return heapUse{elapsed, cpu, mb(peak, base), mb(peakLive, baseLive), mb(sample[2].Value.Uint64(), baseAllocs)}
}

// freshDB is a migrated SQLite database with one supplier.
func freshDB(b *testing.B) (*gorm.DB, vendors.Supplier) {
	path := filepath.Join(b.TempDir(), fmt.Sprintf("bench-%d.db", time.Now().UnixNano()))
	db, err := database.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { database.Close(db) })
	sup, err := vendors.NewStore(db).Create(admin, "Acme")
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(`CREATE TABLE floor_rows (` + strings.Join(benchColumns, " TEXT, ") + ` TEXT)`).Error; err != nil {
		b.Fatal(err)
	}
	return db, sup
}

// readXLSXRaw is the floor's parse: excelize's streaming reader, raw values.
func readXLSXRaw(b *testing.B, path string, each func([]string)) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			b.Fatal(err)
		}
		each(cells)
	}
}

func readCSVRaw(b *testing.B, path string, each func([]string)) {
	f, _ := os.Open(path)
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			b.Fatal(err)
		}
		each(rec)
	}
}

// floorImport reads the file and inserts its rows as they are, in batches,
// in one transaction, into a plain table of the sheet's 15 columns.
func floorImport(b *testing.B, db *gorm.DB, read func(*testing.B, string, func([]string)), path string) {
	rawInsert(b, db, read, path, "floor_rows", benchColumns, func(cells []string) []any {
		row := make([]any, len(benchColumns))
		for i := range row {
			row[i] = ""
			if i < len(cells) {
				row[i] = cells[i]
			}
		}
		return row
	})
}

// floorProductColumns are the products columns the sheet's cells go to,
// then the ones the table requires (labels have no column there).
var floorProductColumns = []string{"sku", "gtin", "brand", "model", "name", "category", "markets", "password_model",
	"vuln_report_contact", "support_end", "statement_of_compliance", "ce_marking", "firmware_version", "price",
	"supplier_id", "match_key", "content_hash", "created_at", "updated_at"}

// productsFloor is the same raw insert into the products table itself, with
// its keys and indexes: what storing the rows costs where Cascade keeps
// them, before any parsing, validation or checks.
func productsFloor(b *testing.B, db *gorm.DB, supplierID int64, read func(*testing.B, string, func([]string)), path string) {
	now := time.Now().UTC()
	rawInsert(b, db, read, path, "products", floorProductColumns, func(cells []string) []any {
		row := make([]any, 0, len(floorProductColumns))
		for i, c := range cells {
			if i != 12 { // labels
				row = append(row, c)
			}
		}
		return append(row, supplierID, cells[3], "", now, now)
	})
}

func rawInsert(b *testing.B, db *gorm.DB, read func(*testing.B, string, func([]string)), path, table string, columns []string, toRow func([]string) []any) {
	err := db.Transaction(func(tx *gorm.DB) error {
		batch := make([][]any, 0, 1000)
		first := true
		var ierr error
		read(b, path, func(cells []string) {
			if first || ierr != nil {
				first = false
				return
			}
			batch = append(batch, toRow(cells))
			if len(batch) == cap(batch) {
				ierr = database.InsertRows(context.Background(), tx, table, columns, batch)
				batch = batch[:0]
			}
		})
		if ierr != nil {
			return ierr
		}
		return database.InsertRows(context.Background(), tx, table, columns, batch)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkImport imports generated supplier files end to end on SQLite
// and, in the same iteration, runs the raw floor on the same file: the
// streaming parse plus a raw batched insert of the same rows into a plain
// table. It reports both times, their ratio, and the peak heap of each; and,
// for reference, the same raw insert into the products table itself.
func BenchmarkImport(b *testing.B) {
	cases := []struct {
		kind string
		rows int
		read func(*testing.B, string, func([]string))
	}{
		{"xlsx-shared", 100_000, readXLSXRaw},
		{"xlsx-inline", 10_000, readXLSXRaw},
		{"xlsx-inline", 100_000, readXLSXRaw},
		{"xlsx-inline", 300_000, readXLSXRaw},
		{"csv", 100_000, readCSVRaw},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s/rows=%d", c.kind, c.rows), func(b *testing.B) {
			path := benchFile(b, c.kind, c.rows)
			var floorT, productsT, cascadeT, readT, floorCPU, cascadeCPU time.Duration
			var floorMB, cascadeMB, readMB, cascadeLive, readLive, cascadeAlloc, readAlloc float64
			for b.Loop() {
				b.StopTimer()
				db, sup := freshDB(b)
				u := measure(func() { c.read(b, path, func([]string) {}) })
				readT, readMB, readLive, readAlloc = readT+u.elapsed, max(readMB, u.peakMB), max(readLive, u.liveMB), readAlloc+u.allocMB
				u = measure(func() { floorImport(b, db, c.read, path) })
				floorT, floorMB, floorCPU = floorT+u.elapsed, max(floorMB, u.peakMB), floorCPU+u.cpu
				pdb, psup := freshDB(b)
				productsT += measure(func() { productsFloor(b, pdb, psup.ID, c.read, path) }).elapsed
				b.StartTimer()
				u = measure(func() {
					batch, err := imports.New(db, imports.DefaultLimits).Import(admin, imports.Request{SupplierID: sup.ID, FileName: c.kind, Path: path})
					if err != nil || batch.RowsCreated != c.rows {
						b.Fatalf("import: %v %+v", err, batch)
					}
				})
				cascadeT, cascadeMB, cascadeLive, cascadeAlloc = cascadeT+u.elapsed, max(cascadeMB, u.peakMB), max(cascadeLive, u.liveMB), cascadeAlloc+u.allocMB
				cascadeCPU += u.cpu
			}
			n := float64(b.N)
			b.ReportMetric(readT.Seconds()/n, "read-s")
			b.ReportMetric(floorT.Seconds()/n, "floor-s")
			b.ReportMetric(cascadeT.Seconds()/n, "import-s")
			b.ReportMetric(cascadeT.Seconds()/floorT.Seconds(), "import/floor")
			// The CPU time of each, all threads: on a shared machine the
			// wall clock counts the wait for a core too.
			b.ReportMetric(floorCPU.Seconds()/n, "floor-cpu-s")
			b.ReportMetric(cascadeCPU.Seconds()/n, "import-cpu-s")
			b.ReportMetric(cascadeCPU.Seconds()/floorCPU.Seconds(), "import/floor-cpu")
			b.ReportMetric(productsT.Seconds()/n, "products-floor-s")
			b.ReportMetric(cascadeT.Seconds()/productsT.Seconds(), "import/products-floor")
			b.ReportMetric(readMB, "read-peak-MB")
			b.ReportMetric(floorMB, "floor-peak-MB")
			b.ReportMetric(cascadeMB, "import-peak-MB")
			b.ReportMetric(cascadeMB/readMB, "import/read-mem")
			b.ReportMetric(readLive, "read-live-MB")
			b.ReportMetric(cascadeLive, "import-live-MB")
			b.ReportMetric(cascadeLive/readLive, "import/read-live")
			b.ReportMetric(readAlloc/n, "read-alloc-MB")
			b.ReportMetric(cascadeAlloc/n, "import-alloc-MB")
			b.ReportMetric(float64(c.rows)*n/cascadeT.Seconds(), "rows/s")
		})
	}
}

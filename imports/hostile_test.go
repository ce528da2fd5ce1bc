package imports_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/database/dbtest"
	"github.com/cascade-gate/cascade/app/errs"
	"github.com/cascade-gate/cascade/imports"
)

// zipWith writes an .xlsx-shaped zip whose worksheet is sheet.
func zipWith(t *testing.T, sheet func(w *bytes.Buffer)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile.xlsx")
	f, _ := os.Create(path)
	zw := zip.NewWriter(f)
	add := func(name, body string) {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	add("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	var buf bytes.Buffer
	sheet(&buf)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write(buf.Bytes())
	zw.Close()
	f.Close()
	return path
}

func TestAZipBombIsRefusedBeforeItIsUnpacked(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	e.im = imports.New(e.db, imports.Limits{MaxFileBytes: 10 << 20, MaxUnzippedBytes: 8 << 20, MaxDataRows: 1000})
	path := zipWith(t, func(w *bytes.Buffer) {
		w.WriteString(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		w.WriteString(strings.Repeat(" ", 64<<20)) // 64 MB of blanks: a few dozen KB zipped
		w.WriteString(`</sheetData></worksheet>`)
	})
	if st, _ := os.Stat(path); st.Size() > 1<<20 {
		t.Fatalf("the bomb is %d bytes zipped, not a bomb", st.Size())
	}
	start := time.Now()
	b, err := e.importPath(path)
	if errs.CodeOf(err) != "FILE_TOO_LARGE" || b.Status != imports.StatusFailed || time.Since(start) > 5*time.Second {
		t.Fatalf("zip bomb: %v %+v in %s", err, b, time.Since(start))
	}
}

func TestAnXMLEntityBombIsRefused(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	path := zipWith(t, func(w *bytes.Buffer) {
		w.WriteString(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">`)
		for i := 1; i <= 9; i++ {
			fmt.Fprintf(w, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
		}
		w.WriteString(`]><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		w.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c><c r="B1" t="inlineStr"><is><t>&lol9;</t></is></c></row>`)
		w.WriteString(`</sheetData></worksheet>`)
	})
	start := time.Now()
	_, err := e.importPath(path)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("entity bomb accepted or slow: %v in %s", err, time.Since(start))
	}
	if len(e.products()) != 0 {
		t.Fatal("products stored from a hostile file")
	}
}

func TestACSVWithATenMegabyteCellRejectsThatRowOnly(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	huge := strings.Repeat("x", 10<<20)
	b := e.mustImport(header + "OK,4006381333931,Acme,M1,smart_plug,UK,,,,\n" + "HUGE,5901234123457,Acme," + huge + ",smart_plug,UK,,,,\n")
	if b.RowsCreated != 1 || b.RowsRejected != 1 {
		t.Fatalf("%s", counts(b))
	}
	list, _ := e.store.Errors(admin, b.ID)
	if len(list) != 1 || list[0].Code != "VALUE_TOO_LONG" || len(list[0].Value) > 1000 {
		t.Fatalf("errors %d, first value %d bytes", len(list), len(list[0].Value))
	}
}

func TestAMillionEmptyRowsAreSkippedAndTheRealRowsKept(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))
	var sb strings.Builder
	sb.WriteString(header + "FIRST,4006381333931,Acme,M1,smart_plug,UK,,,,\n")
	empty := ",,,,,,,,,\n"
	sb.Grow(len(empty) * 1_000_000)
	for range 1_000_000 {
		sb.WriteString(empty)
	}
	sb.WriteString("LAST,5901234123457,Acme,M2,smart_plug,UK,,,,\n")
	start := time.Now()
	b := e.mustImport(sb.String())
	if b.RowsCreated != 2 || b.RowsRejected != 0 || time.Since(start) > 60*time.Second {
		t.Fatalf("%s in %s", counts(b), time.Since(start))
	}
}

// TestAFullDiskFailsTheImportCleanly caps the SQLite file just above its
// size, as a full disk would: the import fails, the batch says so, and the
// catalogue holds exactly what it held before.
func TestAFullDiskFailsTheImportCleanly(t *testing.T) {
	db := dbtest.SQLite(t)
	e := newEnv(t, db)
	e.mustImport(header + "KEEP,4006381333931,Acme,M1,smart_plug,UK,,,,\n")
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // the cap below is per connection
	var pages int
	db.Raw("PRAGMA page_count").Scan(&pages)
	if err := db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages+40)).Error; err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString(header)
	for i := range 20_000 {
		fmt.Fprintf(&sb, "FULL-%d,%s,Acme,M-%d,smart_plug,UK EU,unique_per_device,https://acme.example/security,2030-01-31,\n", i, gtinFor(i), i)
	}
	b, err := e.importCSV(sb.String())
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("import on a full disk: %v", err)
	}
	if b.Status != imports.StatusFailed {
		t.Fatalf("batch %+v", b)
	}
	db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", 1<<30))
	if p := e.products(); len(p) != 1 || p["KEEP"].Model != "M1" {
		t.Fatalf("the catalogue changed: %d products", len(p))
	}
	var status string
	db.Raw("SELECT status FROM import_batches WHERE id = ?", b.ID).Scan(&status)
	if status != imports.StatusFailed {
		t.Fatalf("stored batch status %q", status)
	}
}

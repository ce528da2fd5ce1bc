package imports_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/imports"
)

// workbookParts are the parts every hostile workbook below shares: one
// sheet, "Products", and a shared-strings part.
var workbookParts = map[string]string{
	"[Content_Types].xml":        `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
	"_rels/.rels":                `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
	"xl/workbook.xml":            `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>`,
	"xl/_rels/workbook.xml.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
	"xl/sharedStrings.xml":       `<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"></sst>`,
}

// workbook writes an .xlsx-shaped zip of workbookParts with parts replacing or adding some.
func workbook(t *testing.T, parts map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range workbookParts {
		if _, replaced := parts[name]; !replaced {
			parts[name] = body
		}
	}
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// zipWith writes a workbook whose worksheet is sheet.
func zipWith(t *testing.T, sheet func(w *bytes.Buffer)) string {
	t.Helper()
	var buf bytes.Buffer
	sheet(&buf)
	return workbook(t, map[string]string{"xl/worksheets/sheet1.xml": buf.String()})
}

func TestAZipBombIsRefusedBeforeItIsUnpacked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
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
	})
}

// billionLaughs is a DTD whose entity lol9 expands to 10^9 "lol"s: 3 GB.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE lolz [<!ENTITY lol "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	b.WriteString(`]>`)
	return b.String()
}

// inlineRow is a worksheet row of inline-string cells from column A.
func inlineRow(n int, cells ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, n)
	for i, v := range cells {
		fmt.Fprintf(&b, `<c r="%c%d" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, n, v)
	}
	b.WriteString(`</row>`)
	return b.String()
}

// TestAnXMLEntityBombOrBrokenXMLIsRefused puts a billion-laughs entity into a data cell
// of a workbook with a valid header row, written in the worksheet itself
// and in the shared strings. The file is refused as unreadable, quickly and
// without expanding the entity; no row of it is stored or reported, and in
// particular the rows around the bomb are not imported as if the file
// ended there.
func TestAnXMLEntityBombOrBrokenXMLIsRefused(t *testing.T) {
	const sheetStart = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
	header := inlineRow(1, "sku", "gtin", "brand", "model", "category", "markets")
	before := inlineRow(2, "BEFORE", "4006381333931", "Acme", "M1", "smart_plug", "UK")
	after := inlineRow(4, "AFTER", "9501101530003", "Acme", "M4", "smart_plug", "UK")
	cases := map[string]map[string]string{
		"in a worksheet cell": {
			"xl/worksheets/sheet1.xml": `<?xml version="1.0"?>` + billionLaughs() + sheetStart + header + before +
				inlineRow(3, "BOMB", "5901234123457", "Acme", "&lol9;", "smart_plug", "UK") + after + `</sheetData></worksheet>`,
		},
		// Padding before the DTD must not hide it from a check that reads only the start of a part.
		"after a long prolog": {
			"xl/worksheets/sheet1.xml": `<?xml version="1.0"?>` + strings.Repeat("\n", 1<<20) + billionLaughs() + sheetStart + header + before +
				inlineRow(3, "BOMB", "5901234123457", "Acme", "&lol9;", "smart_plug", "UK") + after + `</sheetData></worksheet>`,
		},
		// Not a bomb, but the same silent stop: a stray "&" written by a careless program.
		"a bare & in a cell": {
			"xl/worksheets/sheet1.xml": `<?xml version="1.0"?>` + sheetStart + header + before +
				inlineRow(3, "AMP", "5901234123457", "Salt & Pepper", "M3", "smart_plug", "UK") + after + `</sheetData></worksheet>`,
		},
		"a worksheet cut short": {
			"xl/worksheets/sheet1.xml": `<?xml version="1.0"?>` + sheetStart + header + before + after + `<row r="5"><c r="A5" t="inlineStr"><is><t>CUT`,
		},
		"in a shared string": {
			"xl/worksheets/sheet1.xml": `<?xml version="1.0"?>` + sheetStart + header + before +
				`<row r="3"><c r="A3" t="inlineStr"><is><t>BOMB</t></is></c><c r="B3" t="inlineStr"><is><t>5901234123457</t></is></c><c r="C3" t="inlineStr"><is><t>Acme</t></is></c>` +
				`<c r="D3" t="s"><v>0</v></c><c r="E3" t="inlineStr"><is><t>smart_plug</t></is></c><c r="F3" t="inlineStr"><is><t>UK</t></is></c></row>` + after + `</sheetData></worksheet>`,
			"xl/sharedStrings.xml": `<?xml version="1.0"?>` + billionLaughs() + `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>`,
		},
	}
	for name, parts := range cases {
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				e := newEnv(t, db)
				path := workbook(t, parts)
				var mem runtime.MemStats
				runtime.ReadMemStats(&mem)
				allocated := mem.TotalAlloc
				start := time.Now()
				b, err := e.importPath(path)
				took := time.Since(start)
				runtime.ReadMemStats(&mem)
				allocated = mem.TotalAlloc - allocated
				if errs.CodeOf(err) != "UNREADABLE_FILE" || b.Status != imports.StatusFailed || !strings.HasPrefix(b.Error, "UNREADABLE_FILE") {
					list, _ := e.store.Errors(admin, b.ID)
					t.Fatalf("entity bomb: err %v, batch %s %s (%s), row errors %+v", err, b.Status, b.Error, counts(b), list)
				}
				// Expanded, the entity is 3 GB: a refusal that never expands it costs a few MB.
				if took > 5*time.Second || allocated > 16<<20 {
					t.Fatalf("refusing the bomb took %s and allocated %d MB", took, allocated>>20)
				}
				if p := e.products(); len(p) != 0 {
					t.Fatalf("products stored from a refused file: %v", p)
				}
				if list, _ := e.store.Errors(admin, b.ID); len(list) != 0 {
					t.Fatalf("row errors reported for a refused file: %+v", list)
				}
			})
		})
	}
}

func TestACSVWithATenMegabyteCellRejectsThatRowOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		huge := strings.Repeat("x", 10<<20)
		b := e.mustImport(header + "OK,4006381333931,Acme,M1,smart_plug,UK,,,,\n" + "HUGE,5901234123457,Acme," + huge + ",smart_plug,UK,,,,\n")
		if b.RowsCreated != 1 || b.RowsRejected != 1 {
			t.Fatalf("%s", counts(b))
		}
		list, _ := e.store.Errors(admin, b.ID)
		if len(list) != 1 || list[0].Code != "VALUE_TOO_LONG" || len(list[0].Value) > 1000 {
			t.Fatalf("errors %+v", list)
		}
	})
}

func TestAMillionEmptyRowsAreSkippedAndTheRealRowsKept(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(header + "FIRST,4006381333931,Acme,M1,smart_plug,UK,,,,\n")
	empty := ",,,,,,,,,\n"
	sb.Grow(len(empty) * 1_000_000)
	for range 1_000_000 {
		sb.WriteString(empty)
	}
	sb.WriteString("LAST,5901234123457,Acme,M2,smart_plug,UK,,,,\n")
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		start := time.Now()
		b := e.mustImport(sb.String())
		if b.RowsCreated != 2 || b.RowsRejected != 0 || time.Since(start) > 60*time.Second {
			t.Fatalf("%s in %s", counts(b), time.Since(start))
		}
	})
}

// TestAFullDiskFailsTheImportCleanly caps the SQLite file just above its
// size, as a full disk would: the import fails, the batch says so, and the
// catalogue holds exactly what it held before. SQLite only: the cap is
// SQLite's max_page_count, and PostgreSQL has no per-session equivalent.
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
	var stored struct{ Status, Error string }
	db.Raw("SELECT status, error FROM import_batches WHERE id = ?", b.ID).Scan(&stored)
	if stored.Status != imports.StatusFailed {
		t.Fatalf("stored batch status %q", stored.Status)
	}
	// The supplier reads a code and a safe message quoting the batch (no
	// request here: the CLI), never the driver's words.
	for _, got := range []string{stored.Error, b.Error} {
		if !strings.HasPrefix(got, "INTERNAL: ") || !strings.Contains(got, fmt.Sprintf("batch %d", b.ID)) || strings.Contains(got, "full") {
			t.Fatalf("the batch's error is %q", got)
		}
	}
}

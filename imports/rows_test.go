package imports_test

import (
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/imports"
)

// sheetOf is a worksheet holding rows as written.
func sheetOf(rows ...string) string {
	return `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		strings.Join(rows, "") + `</sheetData></worksheet>`
}

var sheetHeader = inlineRow(1, "sku", "gtin", "brand", "model", "category", "markets")

// productRow is a valid data row numbered n.
func productRow(n int) string {
	return inlineRow(n, fmt.Sprintf("SKU-%d", n), gtinFor(n), "Acme", fmt.Sprintf("M-%d", n), "smart_plug", "UK")
}

// rowAs is a row element numbered by the attribute r (or none), holding row n's cells.
func rowAs(r string, n int) string {
	row := productRow(n)
	return strings.Replace(row, fmt.Sprintf(`<row r="%d">`, n), "<row"+r+">", 1)
}

// TestXLSXRowsOutOfOrderOrRepeatedAreRefusedWhole: excelize's row iterator
// merges a row whose number is not above the last one into the row before
// it, so such a sheet used to commit with rows lost and none reported.
// Rows without a number follow the one before; gaps are empty rows.
func TestXLSXRowsOutOfOrderOrRepeatedAreRefusedWhole(t *testing.T) {
	refused := map[string]string{
		"out of order and repeated (1,3,2,5,5,4)": sheetOf(sheetHeader, productRow(3), productRow(2), productRow(5), rowAs(` r="5"`, 6), productRow(4)),
		"repeated (1,2,2)":                        sheetOf(sheetHeader, productRow(2), rowAs(` r="2"`, 3)),
		"a number below an unnumbered row":        sheetOf(sheetHeader, productRow(2), rowAs("", 3), rowAs(` r="3"`, 4)),
		"cells out of order in a row": sheetOf(sheetHeader,
			`<row r="2"><c r="B2" t="inlineStr"><is><t>`+gtinFor(2)+`</t></is></c><c r="A2" t="inlineStr"><is><t>SKU-2</t></is></c>`+
				`<c r="C2" t="inlineStr"><is><t>Acme</t></is></c><c r="D2" t="inlineStr"><is><t>M</t></is></c><c r="E2" t="inlineStr"><is><t>smart_plug</t></is></c><c r="F2" t="inlineStr"><is><t>UK</t></is></c></row>`),
	}
	for name, sheet := range refused {
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				e := newEnv(t, db)
				b, err := e.importPath(workbook(t, map[string]string{"xl/worksheets/sheet1.xml": sheet}))
				if errs.CodeOf(err) != "ROWS_OUT_OF_ORDER" || b.Status != imports.StatusFailed {
					t.Fatalf("err %v, batch %s %q (%s)", err, b.Status, b.Error, counts(b))
				}
				if p := e.products(); len(p) != 0 {
					t.Fatalf("products stored from a refused file: %d", len(p))
				}
			})
		})
	}
	read := map[string]struct {
		sheet   string
		created int
	}{
		"unnumbered rows follow the one before": {sheetOf(sheetHeader, rowAs("", 2), rowAs("", 3), productRow(7), rowAs("", 8)), 4},
		"gaps are empty rows":                   {sheetOf(sheetHeader, productRow(4), productRow(9), productRow(1000)), 3},
	}
	for name, c := range read {
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				e := newEnv(t, db)
				b, err := e.importPath(workbook(t, map[string]string{"xl/worksheets/sheet1.xml": c.sheet}))
				if err != nil || b.RowsCreated != c.created || b.RowsRejected != 0 {
					t.Fatalf("err %v, %s", err, counts(b))
				}
			})
		})
	}
}

// TestACSVWithOldMacLineEndingsIsReadRowByRow: a file whose lines end in CR
// alone (classic Mac OS, and some exports still) used to be one line, all
// of it taken as the header, and committed with no rows.
func TestACSVWithOldMacLineEndingsIsReadRowByRow(t *testing.T) {
	lines := []string{
		strings.TrimSuffix(header, "\n"),
		"MAC-1,4006381333931,Acme,M1,smart_plug,UK,,,,",
		`MAC-2,5901234123457,Acme,"two` + "\r" + `lines",smart_plug,UK,,,,`,
		"",
		"MAC-3,NOT-A-GTIN,Acme,M3,smart_plug,UK,,,,",
	}
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		b := e.mustImport(strings.Join(lines, "\r") + "\r")
		if b.RowsCreated != 2 || b.RowsRejected != 1 {
			t.Fatalf("%s", counts(b))
		}
		if got := e.products()["MAC-2"].Model; got != "two\nlines" {
			t.Errorf("a line break in a quoted cell: %q", got)
		}
		list, _ := e.store.Errors(admin, b.ID)
		if len(list) != 1 || list[0].Row != 6 || list[0].Code != "INVALID_GTIN" {
			t.Fatalf("errors %+v", list)
		}
	})
}

// TestAWorkbookThatLosesRowsInTheReaderIsRefusedAtCommit feeds excelize XML
// it stops reading at without an error, and that the XML scan does not
// refuse for itself: the rows after the fault used to be lost without a
// word. The check at commit counts the rows the sheet holds apart from the
// reader, finds that they do not add up, and refuses the batch.
func TestAWorkbookThatLosesRowsInTheReaderIsRefusedAtCommit(t *testing.T) {
	faults := map[string]string{
		"an end tag that closes another element": `<row r="3"><c r="A3" t="inlineStr"><is><t>X</t></is></c></rows>`,
		"an attribute value without quotes":      `<row r=3><c r="A3" t="inlineStr"><is><t>X</t></is></c></row>`,
		"a NUL byte in a cell":                   `<row r="3"><c r="A3" t="inlineStr"><is><t>N` + "\x00" + `UL</t></is></c></row>`,
		"a character reference to NUL":           `<row r="3"><c r="A3" t="inlineStr"><is><t>N&#0;UL</t></is></c></row>`,
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				e := newEnv(t, db)
				sheet := sheetOf(sheetHeader, productRow(2), fault, productRow(4), productRow(5))
				b, err := e.importPath(workbook(t, map[string]string{"xl/worksheets/sheet1.xml": sheet}))
				if errs.CodeOf(err) != "UNREADABLE_FILE" || b.Status != imports.StatusFailed || !strings.HasPrefix(b.Error, "UNREADABLE_FILE") {
					t.Fatalf("err %v, batch %s %q (%s)", err, b.Status, b.Error, counts(b))
				}
				if p := e.products(); len(p) != 0 {
					t.Fatalf("products stored from a refused file: %d", len(p))
				}
			})
		})
	}
}

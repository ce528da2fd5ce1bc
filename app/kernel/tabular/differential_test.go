package tabular

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Every workbook fixture of the repository, written by LibreOffice,
// ExcelJS, openpyxl and XlsxWriter (imports/testdata/gen), reads the same
// with the sheet reader as with excelize, every sheet of it.
func TestEveryFixtureReadsAsExcelizeReadsIt(t *testing.T) {
	eachFixtureSheet(t, func(t *testing.T, path, sheet string) {
		if rows := agree(t, path, sheet); len(rows) == 0 {
			t.Errorf("only %d rows read", len(rows))
		}
	})
}

// eachFixtureSheet runs fn as a subtest on every sheet of every workbook
// fixture of the repository (imports/testdata, at least ten of them).
func eachFixtureSheet(t *testing.T, fn func(t *testing.T, path, sheet string)) {
	t.Helper()
	paths, err := filepath.Glob("../../../imports/testdata/*.xlsx")
	if err != nil || len(paths) < 10 {
		t.Fatalf("fixtures: %v, %v", paths, err)
	}
	for _, path := range paths {
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sheets := f.GetSheetList()
		f.Close()
		for _, sheet := range sheets {
			t.Run(filepath.Base(path)+"/"+sheet, func(t *testing.T) { fn(t, path, sheet) })
		}
	}
}

// excelizeBook writes a workbook with excelize and returns its path.
func excelizeBook(t testing.TB, fill func(f *excelize.File, sheet string) error) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := fill(f, "Sheet1"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "excelize.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Workbooks excelize writes: shared and inline strings, rich text, numbers,
// booleans, formulas, dates in built-in and custom formats in both date
// systems, characters XML cannot hold, gaps; and the ones Cascade writes.
func TestWorkbooksExcelizeWritesReadAsExcelizeReadsThem(t *testing.T) {
	odd := []string{"a & b <c> \"d\" 'e'", " padded ", "line\r\nbreak\rcr\nlf", "tab\there", "\x01\x1f control", "_x0041_ literal", "Grüße 🙂", "=1+1", ""}
	for _, date1904 := range []bool{false, true} {
		t.Run(fmt.Sprintf("1904=%v", date1904), func(t *testing.T) {
			path := excelizeBook(t, func(f *excelize.File, sh string) error {
				if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
					return err
				}
				iso, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
				custom := "dd.mm.yyyy hh:mm"
				withTime, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
				money, _ := f.NewStyle(&excelize.Style{NumFmt: 4})
				for i, s := range odd {
					f.SetCellStr(sh, fmt.Sprintf("A%d", i+1), s)
				}
				f.SetCellValue(sh, "B1", 42)
				f.SetCellValue(sh, "B2", 3.25)
				f.SetCellValue(sh, "B3", true)
				f.SetCellValue(sh, "B4", false)
				f.SetCellValue(sh, "D2", time.Date(2029, 6, 30, 0, 0, 0, 0, time.UTC))
				f.SetCellStyle(sh, "D2", "D2", iso)
				f.SetCellValue(sh, "D3", 47299.75)
				f.SetCellStyle(sh, "D3", "D3", withTime)
				f.SetCellValue(sh, "D4", 1234.5)
				f.SetCellStyle(sh, "D4", "D4", money)
				f.SetCellValue(sh, "D5", "2029-06-30") // text stays text
				f.SetCellStyle(sh, "D5", "D5", iso)
				f.SetCellFormula(sh, "E1", "B1*2")
				f.SetCellValue(sh, "G9", "far")
				f.SetCellRichText(sh, "C1", []excelize.RichTextRun{{Text: "bold ", Font: &excelize.Font{Bold: true}}, {Text: "and plain"}})
				f.SetCellValue(sh, "C2", "4006381333931")
				f.SetCellValue(sh, "C3", int64(4006381333931))
				f.SetCellValue(sh, "C4", 1e21)
				f.SetCellValue(sh, "C5", -0.000123)
				return nil
			})
			rows := agree(t, path, "")
			if len(rows) != 9 || rows[1][3] != "2029-06-30" || rows[0][2] != "bold and plain" {
				t.Fatalf("rows %q", rows)
			}
		})
	}
	t.Run("stream writer", func(t *testing.T) {
		path := excelizeBook(t, func(f *excelize.File, sh string) error {
			sw, err := f.NewStreamWriter(sh)
			if err != nil {
				return err
			}
			date, _ := f.NewStyle(&excelize.Style{NumFmt: 15})
			for r := 1; r <= 300; r++ {
				row := []any{fmt.Sprintf("SKU-%d", r), r * 7, float64(r) / 3, r%2 == 0, excelize.Cell{StyleID: date, Value: 45000 + r}, nil, odd[r%len(odd)]}
				if r%50 == 0 {
					row = nil // an empty row
				}
				cell, _ := excelize.CoordinatesToCellName(1, r)
				if err := sw.SetRow(cell, row); err != nil {
					return err
				}
			}
			return sw.Flush()
		})
		if rows := agree(t, path, ""); len(rows) != 300 || rows[0][4] != "2023-03-16" {
			t.Fatalf("%d rows, first %q", len(rows), rows[0])
		}
	})
	t.Run("Cascade's own writer", func(t *testing.T) {
		wb := NewWorkbook()
		defer wb.Close()
		s, err := wb.AddSheet("Products")
		if err != nil {
			t.Fatal(err)
		}
		s.SetRows([][]any{{"sku", "gtin", "price", "when"}, {"A-1", "4006381333931", 12.5, time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)}, {"=cmd", nil, -3, "x"}})
		st, err := wb.AddStreamSheet("Stream")
		if err != nil {
			t.Fatal(err)
		}
		st.WriteRow([]string{"a", "", "c & d"})
		var buf bytes.Buffer
		if _, err := wb.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "cascade.xlsx")
		os.WriteFile(path, buf.Bytes(), 0o600)
		agree(t, path, "Products")
		agree(t, path, "Stream")
	})
}

// rawBook writes a workbook from a sheet's XML (inside sheetData), shared
// strings (the si elements, "" for none) and cell formats (the xf elements
// of cellXfs, with numFmts before them).
func rawBook(t testing.TB, sheet, sst, styles string, date1904 bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raw.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	pr := ""
	if date1904 {
		pr = `<workbookPr date1904="1"/>`
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+pr+`<sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`)
	add("xl/styles.xml", `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+styles+`</styleSheet>`)
	add("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:C3"/><sheetData>`+sheet+`</sheetData></worksheet>`)
	add("xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+sst+`</sst>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// dateStyles are cell formats 0 General, 1 a built-in date, 2 a custom
// date, 3 a custom number, 4 a time of day.
const dateStyles = `<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy&quot; &quot;hh:mm"/><numFmt numFmtId="165" formatCode="#,##0.00"/></numFmts><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="20"/></cellXfs>`

// cellCasesSST is the shared strings cellCases cite: plain, rich, with
// references, escapes, CDATA and CRs.
const cellCasesSST = `<si><t>plain</t></si><si><t xml:space="preserve">  kept  </t></si><si><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r></si>` +
	`<si><t>base</t><rPh sb="0" eb="1"><t>phonetic</t></rPh><phoneticPr fontId="1"/></si><si/><si><t>a&amp;b &lt;&#38;&#x1F642;&gt;</t></si>` +
	`<si><t>_x000D_cr _x005F_x0041_ _xD800_ _x0041_</t></si><si><t><![CDATA[<cdata> & ]]>more</t></si><si><t>line&#13;&#10;ref
raw</t></si>` +
	"<si><t>crlf\r\nlone\rcr</t></si>"

// cellCases are sheets (inside sheetData) of what spreadsheet programs
// write, and what XML allows them to.
var cellCases = []struct{ name, sheet string }{
	{"shared strings", `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v> 2 </v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c><c r="G1" t="s"><v>6</v></c><c r="H1" t="s"><v>7</v></c><c r="I1" t="s"><v>8</v></c><c r="J1" t="s"><v>9</v></c></row>`},
	{"inline strings", `<row r="1"><c r="A1" t="inlineStr"><is><t>in&amp;line</t></is></c><c r="B1" t="inlineStr"><is><r><t>a</t></r><r><t xml:space="preserve"> b</t></r></is></c><c t="inlineStr"><v>v only</v></c><c t="inlineStr"><is><t/></is></c><c t="inlineStr"><is><t>_x0042_</t></is></c></row>`},
	{"types", `<row r="1"><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c t="str"><v>_x0041_ formula text</v><f>A1</f></c><c t="d"><v>2029-06-30T00:00:00Z</v></c><c t="n"><v>1.5E+3</v></c><c><v> 007 </v></c></row>`},
	{"formulas and empty cells", `<row r="1"><c r="A1"><f>1+1</f></c><c r="B1"/><c r="C1" s="1"/><c r="D1"><v></v></c><c r="E1"><f/><v>2</v></c><c r="F1" t="s"><v/></c><c r="G1"/></row><row r="2"><c r="B2"><v>x</v></c><c r="C2"/></row>`},
	{"gaps and missing references", `<row r="2"><c r="C2"><v>1</v></c><c><v>2</v></c><c r="$F$2"><v>3</v></c></row><row><c><v>4</v></c><c r="c3"><v>5</v></c></row><row r="6" spans="1:3" ht="15"/><row r="7"><c r="AA7"><v>7</v></c></row>`},
	{"dates", `<row r="1"><c s="1"><v>47299</v></c><c s="2"><v>47299.75</v></c><c s="3"><v>47299</v></c><c s="4"><v>0.5</v></c><c s="1" t="s"><v>0</v></c><c s="1" t="n"><v>61</v></c><c s="1"><v>60</v></c><c s="1"><v>-1</v></c><c s="1"><v>text</v></c><c s="9"><v>1</v></c><c s="1" t="str"><v>47299</v></c></row>`},
	{"namespace prefixes and odd attributes", `<x:row r="1"><x:c r="A1" x:t="s"><x:v>0</x:v></x:c><x:c r='B1' s = "1"><x:v>1</x:v></x:c><c r="&#67;1" t="&#115;"><v>&#49;</v></c></x:row>`},
	{"comments, instructions and white space", "<!-- <row r=\"9\"/> --><row r=\"1\">\n  <c r=\"A1\">\r\n    <v>1</v>\n  </c><?pi <c r=\"B1\"><v>9</v></c>?>\n  <c r=\"C1\" t=\"inlineStr\"><is><t><![CDATA[<c r=\"D1\">]]></t></is></c></row>\n"},
	{"elements excelize looks through", `<row r="1"><c r="A1"><extLst><v>nested</v></extLst></c><c r="B1" t="inlineStr"><is><t>one</t><t>two</t><r><t>r1</t><t>r2</t></r></is></c><c r="C1"><v>first</v><v>last</v></c><c r="D1"><v>a<b>skip</b>c</v></c></row>`},
	{"a sheet of one empty row", `<row r="1"/>`},
}

// What spreadsheet programs write, and what XML allows them to, reads as
// excelize reads it.
func TestTheSheetReaderReadsCellsAsExcelizeDoes(t *testing.T) {
	for _, c := range cellCases {
		for _, date1904 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/1904=%v", c.name, date1904), func(t *testing.T) {
				agree(t, rawBook(t, c.sheet, cellCasesSST, dateStyles, date1904), "")
			})
		}
	}
}

// refusedCases are sheets (inside sheetData) the sheet reader refuses, and
// the code it refuses them with.
var refusedCases = []struct{ name, sheet, code string }{
	{"rows out of order", `<row r="2"/><row r="1"/>`, "ROWS_OUT_OF_ORDER"},
	{"a repeated row", `<row r="1"/><row r="2"/><row r="2"/>`, "ROWS_OUT_OF_ORDER"},
	{"a row before an unnumbered one's number", `<row r="3"/><row/><row r="4"/>`, "ROWS_OUT_OF_ORDER"},
	{"a row numbered 0", `<row r="0"/>`, "ROWS_OUT_OF_ORDER"},
	{"a cell left of the one before", `<row r="1"><c r="C1"/><c r="B1"/></row>`, "ROWS_OUT_OF_ORDER"},
	{"a repeated cell", `<row r="1"><c r="A1"/><c/><c r="b1"/></row>`, "ROWS_OUT_OF_ORDER"},
	{"a row past the last a sheet holds", `<row r="1048577"/>`, "TOO_MANY_ROWS"},
	{"a row number that is no number", `<row r="x"/>`, "UNREADABLE_FILE"},
	{"a cell reference that is none", `<row r="1"><c r="1A"><v>1</v></c></row>`, "UNREADABLE_FILE"},
	{"a column past the last", `<row r="1"><c r="XFE1"><v>1</v></c></row>`, "UNREADABLE_FILE"},
	{"a style that is no number", `<row r="1"><c s="x"><v>1</v></c></row>`, "UNREADABLE_FILE"},
	{"a shared string the workbook lacks", `<row r="1"><c t="s"><v>7</v></c></row>`, "UNREADABLE_FILE"},
	{"a shared string index that is no number", `<row r="1"><c t="s"><v>one</v></c></row>`, "UNREADABLE_FILE"},
	{"a bare &", `<row r="1"><c t="inlineStr"><is><t>Salt & Pepper</t></is></c></row>`, "UNREADABLE_FILE"},
	{"an entity from a DTD", `<row r="1"><c t="inlineStr"><is><t>&lol9;</t></is></c></row>`, "UNREADABLE_FILE"},
	{"an entity in an attribute", `<row r="1" spans="&ent;"/>`, "UNREADABLE_FILE"},
	{"a reference to a character XML forbids", `<row r="1"><c><v>&#1;</v></c></row>`, "UNREADABLE_FILE"},
	{"a control character", "<row r=\"1\"><c><v>\x01</v></c></row>", "UNREADABLE_FILE"},
	{"Windows-1252 text", "<row r=\"1\"><c t=\"inlineStr\"><is><t>Gr\xfc\xdfe</t></is></c></row>", "UNREADABLE_FILE"},
	{"an element closed by another", `<row r="1"><c><v>1</c></v></row>`, "UNREADABLE_FILE"},
	{"an attribute without quotes", `<row r=1/>`, "UNREADABLE_FILE"},
	{"a < in an attribute", `<row r="1" x="<"/>`, "UNREADABLE_FILE"},
}

// What excelize would silently drop or merge, the sheet reader refuses.
func TestTheSheetReaderRefusesWhatExcelizeWouldReadWrongly(t *testing.T) {
	for _, c := range refusedCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := sheetRows(rawBook(t, c.sheet, `<si><t>a</t></si>`, dateStyles, false), "")
			if errs.CodeOf(err) != c.code {
				t.Fatalf("%v; want %s", err, c.code)
			}
		})
	}
}

// FuzzSheetReaderAgreesWithExcelize builds workbooks from the fuzz input,
// in two ways: excelize writes cells of every type from it; and it is
// spliced into a sheet's and the shared strings' XML as text, attributes
// and markup. Whatever the sheet reader accepts, excelize must read the
// same; a workbook excelize wrote, the sheet reader must accept.
func FuzzSheetReaderAgreesWithExcelize(f *testing.F) {
	for _, s := range []string{"plain", "a&b<c>", " \r\n\t", "_x0041__x005F_", "4006381333931|12.5|TRUE|=A1", "47299.5|2029-06-30", "</t><t>x", `"/><c r="A1`, "&amp;&#38;&#x1F642;", "<![CDATA[x]]>", "🙂|Grüße|\x00"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, data string, mode uint8) {
		var path string
		written := mode%2 == 0
		if written {
			path = excelizeBook(t, func(f *excelize.File, sh string) error {
				date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
				for i, v := range strings.Split(data, "|") {
					cell, _ := excelize.CoordinatesToCellName(1+i%5*(1+int(mode>>4)), 1+i/5*(1+int(mode>>1&7)))
					var err error
					switch i % 4 {
					case 0:
						err = f.SetCellStr(sh, cell, v)
					case 1:
						err = f.SetCellValue(sh, cell, v) // numbers, booleans and text as excelize tells them
					case 2:
						err = f.SetCellRichText(sh, cell, []excelize.RichTextRun{{Text: v}, {Text: v, Font: &excelize.Font{Italic: true}}})
					case 3:
						err = f.SetCellValue(sh, cell, float64(len(v))*1000.25)
						f.SetCellStyle(sh, cell, cell, date)
					}
					if err != nil {
						return nil // excelize refuses to write it
					}
				}
				return nil
			})
		} else {
			sheet := `<row r="1"><c r="A1" t="inlineStr"><is><t>` + data + `</t></is></c><c r="B1" t="s"><v>0</v></c><c r="C1" s="` + data + `"><v>` + data + `</v></c></row>` +
				`<row r="2"><c t="str"><v>` + data + `</v></c>` + data + `<c s="1"><v>47299.5</v></c></row>`
			path = rawBook(t, sheet, `<si><r><t>`+data+`</t></r><r><t>x</t></r></si>`, dateStyles, mode&2 != 0)
		}
		got, err := sheetRows(path, "")
		if err != nil {
			if written {
				t.Fatalf("a workbook excelize wrote was refused: %v", err)
			}
			return
		}
		want, werr := excelizeRows(path, "")
		if werr != nil {
			t.Fatalf("the sheet reader read what excelize cannot (%v): %q", werr, got)
		}
		if !sameRows(got, want) {
			t.Fatalf("rows differ:\n sheet reader %q\n excelize     %q", got, want)
		}
	})
}

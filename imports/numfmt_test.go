package imports_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// formatCase is one support_end cell of a workbook: its value, its number
// format (a built-in id, or a custom code), and what the import must make
// of it: the stored date, or the row error code.
type formatCase struct {
	sku    string
	value  any
	numFmt int
	custom string
	want   string // a date, or a row error code
}

// writeFormatWorkbook writes one row per case, each support_end cell with
// its own number format, through excelize's styles (cellXfs → numFmtId).
func writeFormatWorkbook(t *testing.T, cases []formatCase, date1904 bool) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
			t.Fatal(err)
		}
	}
	sheet := "Sheet1"
	headers := []any{"sku", "gtin", "brand", "model", "category", "markets", "support_end"}
	if err := f.SetSheetRow(sheet, "A1", &headers); err != nil {
		t.Fatal(err)
	}
	gtins := []string{"4006381333931", "5901234123457", "0614141000036", "4006381333948", "9780201379624", "4012345000009",
		"4006381333955", "9501101530003", "4006381333962", "4006381333979", "4006381333986", "4006381333993", "4006381334006", "4006381334013", "4006381334020"}
	for i, c := range cases {
		row := i + 2
		cells := []any{c.sku, gtins[i], "Acme", "M-" + c.sku, "smart_plug", "UK", c.value}
		if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(row), &cells); err != nil {
			t.Fatal(err)
		}
		style := &excelize.Style{NumFmt: c.numFmt}
		if c.custom != "" {
			style = &excelize.Style{CustomNumFmt: &c.custom}
		}
		id, err := f.NewStyle(style)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle(sheet, "G"+strconv.Itoa(row), "G"+strconv.Itoa(row), id); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "formats.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertFormats imports the workbook and checks each row's support_end or error.
func assertFormats(t *testing.T, db *gorm.DB, path string, cases []formatCase) {
	t.Helper()
	e := newEnv(t, db)
	b, err := e.importPath(path)
	if err != nil {
		t.Fatal(err)
	}
	codes, products := e.errorCodes(b.ID), e.products()
	for _, c := range cases {
		if strings.Contains(c.want, "-") {
			p, ok := products[c.sku]
			if !ok || p.SupportEnd.String() != c.want {
				t.Errorf("%s (%v in format %d %q): stored %v (errors %v), want support_end %s", c.sku, c.value, c.numFmt, c.custom, p.SupportEnd, codes[c.sku], c.want)
			}
			continue
		}
		if got := strings.Join(codes[c.sku], " "); got != c.want {
			p := products[c.sku]
			t.Errorf("%s (%v in format %d %q): errors %q (stored support_end %v), want %s", c.sku, c.value, c.numFmt, c.custom, got, p.SupportEnd, c.want)
		}
	}
	if b.RowsCreated+b.RowsRejected != len(cases) {
		t.Errorf("%s for %d rows", counts(b), len(cases))
	}
}

func TestANumberCellIsADateOnlyWhenItsNumberFormatIsADateFormat(t *testing.T) {
	cases := []formatCase{
		{sku: "GENERAL-2028", value: 2028, numFmt: 0, want: "INVALID_DATE"}, // not the 2028th day of 1900
		{sku: "GENERAL-SERIAL", value: 47299, numFmt: 0, want: "INVALID_DATE"},
		{sku: "DECIMALS", value: 47299, numFmt: 2, want: "INVALID_DATE"},            // 0.00
		{sku: "THOUSANDS", value: 47299, numFmt: 3, want: "INVALID_DATE"},           // #,##0
		{sku: "BUILTIN-14", value: 47299, numFmt: 14, want: "2029-06-30"},           // m/d/yyyy (shown per locale)
		{sku: "BUILTIN-22", value: 47299.75, numFmt: 22, want: "2029-06-30"},        // m/d/yy h:mm
		{sku: "BUILTIN-15", value: 47299, numFmt: 15, want: "2029-06-30"},           // d-mmm-yy
		{sku: "TIME-ONLY", value: 47299.75, numFmt: 20, want: "INVALID_DATE"},       // h:mm shows 18:00, no date
		{sku: "CUSTOM-DMY", value: 47299, custom: "dd/mm/yyyy", want: "2029-06-30"}, // a date cell is never ambiguous
		{sku: "CUSTOM-LOCALE", value: 47299, custom: `[$-409]d\-mmm\-yyyy;@`, want: "2029-06-30"},
		{sku: "CUSTOM-QUOTED", value: 47299, custom: `0" days, ymd"`, want: "INVALID_DATE"},
		{sku: "CUSTOM-COLOUR", value: 47299, custom: `[Red]0;[Blue]-0`, want: "INVALID_DATE"},
		{sku: "CUSTOM-ESCAPED", value: 47299, custom: `0\d`, want: "INVALID_DATE"},
		{sku: "TEXT-2028", value: "2028", numFmt: 14, want: "INVALID_DATE"}, // a text cell is read as text
		{sku: "TEXT-ISO", value: "2029-06-30", numFmt: 0, want: "2029-06-30"},
	}
	path := writeFormatWorkbook(t, cases, false)
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		assertFormats(t, db, path, cases)
	})
}

func TestDateCellsOfA1904WorkbookCountFrom1904(t *testing.T) {
	cases := []formatCase{
		{sku: "D1904", value: 45837, numFmt: 14, want: "2029-06-30"}, // 47299 − 1462 days
		{sku: "D1904-CUSTOM", value: 45837, custom: "yyyy-mm-dd", want: "2029-06-30"},
		{sku: "D1904-ZERO", value: 0, numFmt: 14, want: "1904-01-01"}, // day 0 is a date in 1904
		{sku: "G1904", value: 2028, numFmt: 0, want: "INVALID_DATE"},  // not 1909
	}
	path := writeFormatWorkbook(t, cases, true)
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		assertFormats(t, db, path, cases)
	})
}

// The fixtures were written by openpyxl, XlsxWriter, ExcelJS and LibreOffice
// Calc from testdata/gen/formats.json (see testdata/gen/make-fixtures.sh),
// each in the 1900 and the 1904 date system: date cells in built-in and
// custom date formats, a date with a time, General and other number
// formats, a time of day, text dates. Every writer and date system must
// give the same stored dates and row errors.
func TestCellsWrittenByEachProgramAreReadAsTheirNumberFormatSays(t *testing.T) {
	var spec struct {
		Rows []struct {
			SKU    string `json:"sku"`
			Type   string `json:"type"`
			Format string `json:"format"`
			Want   string `json:"want"`
		} `json:"rows"`
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "gen", "formats.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	var cases []formatCase
	for _, r := range spec.Rows {
		cases = append(cases, formatCase{sku: r.SKU, value: r.Type, custom: r.Format, want: r.Want})
	}
	for _, writer := range []string{"openpyxl", "xlsxwriter", "exceljs", "libreoffice"} {
		for _, system := range []string{"1900", "1904"} {
			file := "formats-" + writer + "-" + system + ".xlsx"
			t.Run(file, func(t *testing.T) {
				dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
					assertFormats(t, db, filepath.Join("testdata", file), cases)
				})
			})
		}
	}
}

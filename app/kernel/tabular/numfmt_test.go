package tabular

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDateFormatsAreToldFromOtherNumberFormats(t *testing.T) {
	cases := []struct {
		code string
		date bool
	}{
		{"yyyy-mm-dd", true},
		{"dd/mm/yyyy", true},
		{"d-mmm-yy", true},
		{"mmmm yyyy", true},
		{"m/d/yy h:mm", true},
		{"[$-409]d\\-mmm\\-yyyy;@", true},               // locale section ignored
		{"[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy", true}, // system long date
		{"[Blue]yyyy-mm-dd", true},
		{"ggge\"年\"m\"月\"d\"日\"", true}, // Japanese era
		{"[$-411]ge.m.d", true},
		{"mmm", true}, // a month alone
		{"yyyy-mm-dd\"T\"hh:mm:ss", true},
		{"General", false},
		{"general", false},
		{"0", false},
		{"0.00", false},
		{"#,##0.00 [$€-407]", false},
		{"0.00E+00", false}, // scientific notation, not an era year
		{"##0.0e-0", false},
		{"0\" days\"", false},      // quoted text
		{"0\" ymd\"", false},       // quoted letters
		{"0\\d", false},            // an escaped letter
		{"[Red]0;[Blue]-0", false}, // colours
		{"[>=100]0;0.0", false},    // a condition
		{"_(* #,##0_);_(* (#,##0)", false},
		{"h:mm", false}, // a time of day
		{"h:mm:ss AM/PM", false},
		{"[h]:mm:ss", false}, // a duration
		{"mm:ss", false},     // minutes before seconds
		{"[mm]:ss", false},
		{"hh\"h\"mm", false},
		{"@", false},
		{"0;0;0;yyyy", false}, // only the first section decides
		{"", false},
	}
	for _, c := range cases {
		if got := isDateFormat(c.code); got != c.date {
			t.Errorf("isDateFormat(%q) = %v, want %v", c.code, got, c.date)
		}
	}
	for id, date := range map[int]bool{0: false, 1: false, 2: false, 9: false, 10: false, 11: false, 12: false, 13: false,
		14: true, 15: true, 16: true, 17: true, 18: false, 19: false, 20: false, 21: false, 22: true,
		27: true, 31: true, 36: true, 37: false, 44: false, 45: false, 46: false, 47: false, 48: false, 49: false,
		50: true, 58: true, 59: false, 164: false} {
		if got := builtinDate(id); got != date {
			t.Errorf("builtinDate(%d) = %v, want %v", id, got, date)
		}
	}
}

func TestSerialDatesCountFromTheWorkbooksDateSystem(t *testing.T) {
	cases := []struct {
		raw      string
		date1904 bool
		want     string // "" = not a date
	}{
		{"47299", false, "2029-06-30"},
		{"47299.75", false, "2029-06-30 18:00:00"},
		{"47299.99999999", false, "2029-07-01"}, // rounds to the second
		{"4.7299E4", false, "2029-06-30"},
		{"1", false, "1900-01-01"},
		{"59", false, "1900-02-28"},
		{"60", false, ""}, // Excel's 29 February 1900
		{"61", false, "1900-03-01"},
		{"0", false, ""},
		{"0.5", false, ""},
		{"-1", false, ""},
		{"2958465", false, "9999-12-31"},
		{"2958466", false, ""},
		{"45837", true, "2029-06-30"},
		{"0", true, "1904-01-01"},
		{"abc", false, ""},
		{"NaN", false, ""},
	}
	for _, c := range cases {
		got, ok := serialDate(c.raw, c.date1904)
		if c.want == "" && ok || c.want != "" && got != c.want {
			t.Errorf("serialDate(%q, 1904=%v) = %q, %v; want %q", c.raw, c.date1904, got, ok, c.want)
		}
	}
}

// A workbook whose styles and sheet sit where its relationships say (not
// the usual xl/ paths), with a custom format redefining a built-in id.
func TestDateCellsAreFoundWhereverTheWorkbookKeepsItsParts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	add := func(name, body string) {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	add("[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/book/main.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/book/sheets/one.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/book/look.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/book/main.xml"/></Relationships>`)
	add("book/main.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr date1904="1"/><sheets><sheet name="Notes" sheetId="1" r:id="rA"/><sheet name="Products" sheetId="2" r:id="rB"/></sheets></workbook>`)
	add("book/_rels/main.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rA" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="sheets/notes.xml"/><Relationship Id="rB" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="sheets/one.xml"/><Relationship Id="rS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="look.xml"/></Relationships>`)
	add("book/look.xml", `<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="14" formatCode="0.00"/><numFmt numFmtId="170" formatCode="dd.mm.yyyy"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="170"/></cellXfs><dxfs count="1"><dxf><numFmt numFmtId="170" formatCode="0"/></dxf></dxfs></styleSheet>`)
	add("book/sheets/notes.xml", `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>see Products</t></is></c></row></sheetData></worksheet>`)
	add("book/sheets/one.xml", `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row><row r="2"><c r="A2" s="1"><v>45837</v></c><c r="B2" s="2"><v>45837</v></c></row></sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, _, err := Open(path, Limits{MaxFileBytes: 1 << 20, MaxUnzippedBytes: 1 << 20}, "products")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows []string
	for r.Next() {
		_, cells := r.Row()
		rows = append(rows, strings.Join(cells, "|"))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	// A2's format 14 was redefined as 0.00: a number. B2 is a 1904 date.
	if got := strings.Join(rows, " / "); got != "a|b / 45837|2029-06-30" {
		t.Fatalf("rows %q", got)
	}
}

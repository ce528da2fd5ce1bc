package tabular

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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

func TestTheSheetScanFindsDateCellsAsExcelizeNumbersThem(t *testing.T) {
	dateXf := []bool{false, true, false} // cell format 1 is a date
	sheet := `<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>` +
		`<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1" s="1"><x:v>47299</x:v></x:c></x:row>` + // prefixed, C
		`<!-- <row r="2"><c r="A2" s="1"><v>1</v></c></row> -->` + // a comment is no row
		`<row r="3"><c s="1"><v>1</v></c><c s="0"><v>2</v></c><c s="1" t="n"><v>3</v></c></row>` + // columns counted: A, C
		`<row><c r="B4" s="1" t="s"><v>1</v></c><c s='1' foo="a>b"><v>5</v></c></row>` + // row 4; a text cell; > in a value; C
		`<row r="6" spans="1:3"><c r="A6" t="inlineStr" s="1"><is><t><![CDATA[<c r="B6" s="1">]]></t></is></c></row>` +
		`<row r="7"><c r="&#66;7" s="&#49;"><v>1</v></c><c r="C7" s="9"/></row>` + // character references; a style out of range
		`<row r="8"><c r="1A" s="1"><v>1</v></c></row>` + // a reference it cannot read: the row is not sent
		`</x:sheetData><row r="9"><c r="A9" s="1"/></row></x:worksheet>`
	for _, chunk := range []int{1, 7, 64 << 10} { // any cut of the stream between reads
		out := make(chan dateRow, 100)
		var stop atomic.Bool
		scanDateCells(&chunked{s: sheet, n: chunk}, dateXf, &stop, out)
		close(out)
		var got []string
		for r := range out {
			got = append(got, strconv.Itoa(r.num)+":"+ints(r.cols))
		}
		if want := "1:3 3:1,3 4:3 7:2"; strings.Join(got, " ") != want {
			t.Errorf("reads of %d bytes: rows %q, want %q", chunk, strings.Join(got, " "), want)
		}
	}
}

type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.s) == 0 {
		return 0, os.ErrClosed
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

func ints(v []int) string {
	var s []string
	for _, n := range v {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ",")
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

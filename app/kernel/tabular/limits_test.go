package tabular

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

var testLimits = Limits{MaxFileBytes: 100 << 20, MaxUnzippedBytes: 1 << 30}

// writeWorkbook writes a one-sheet workbook whose sheetData and shared
// strings the callers stream in (sst nil: no shared-strings part).
func writeWorkbook(t testing.TB, rows func(w io.Writer), sst func(w io.Writer)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "book.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	add := func(name string, body func(w io.Writer)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		body(bw)
		bw.Flush()
	}
	text := func(s string) func(io.Writer) { return func(w io.Writer) { io.WriteString(w, s) } }
	add("[Content_Types].xml", text(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`))
	add("_rels/.rels", text(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`))
	add("xl/workbook.xml", text(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>`))
	add("xl/_rels/workbook.xml.rels", text(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`))
	add("xl/worksheets/sheet1.xml", func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		rows(w)
		io.WriteString(w, `</sheetData></worksheet>`)
	})
	if sst != nil {
		add("xl/sharedStrings.xml", func(w io.Writer) {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
			sst(w)
			io.WriteString(w, `</sst>`)
		})
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func repeat(s string, n int) func(io.Writer) {
	return func(w io.Writer) {
		for range n {
			io.WriteString(w, s)
		}
	}
}

func sharedRow(w io.Writer) { io.WriteString(w, `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`) }

// allocated runs fn and returns the bytes it allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// readAll opens path and reads every row.
func readAll(path string) (rows [][]string, err error) {
	r, _, err := Open(path, testLimits, "Products")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for r.Next() {
		_, cells := r.Row()
		rows = append(rows, cells)
	}
	return rows, r.Err()
}

func TestAWorkbookOverAMemoryLimitIsRefusedBeforeExcelizeSpendsIt(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	cases := []struct {
		name string
		rows func(io.Writer)
		sst  func(io.Writer)
		code string
	}{
		{"10 MB of empty shared strings", sharedRow, repeat(`<si/>`, 2_000_000), "TOO_MANY_SHARED_STRINGS"},
		{"rich-text runs without end in one shared string", sharedRow, func(w io.Writer) { io.WriteString(w, "<si>"); repeat("<r/>", 5_000_000)(w); io.WriteString(w, "</si>") }, "TOO_MANY_SHARED_STRINGS"},
		{"a shared string of 1 MB", sharedRow, repeat(`<si><t>`+big+`</t></si>`, 1), "CELL_TOO_LARGE"},
		{"a shared string of 1 MB in runs of 1 KB", sharedRow, func(w io.Writer) {
			io.WriteString(w, "<si>")
			repeat("<r><t>"+big[:1024]+"</t></r>", 1024)(w)
			io.WriteString(w, "</si>")
		}, "CELL_TOO_LARGE"},
		{"40 MB of shared strings of 200 KB", sharedRow, repeat(`<si><t>`+big[:200<<10]+`</t></si>`, 200), "TOO_MANY_SHARED_STRINGS"},
		{"an inline cell of 1 MB", func(w io.Writer) {
			io.WriteString(w, `<row r="1"><c r="A1" t="inlineStr"><is><t>`+big+`</t></is></c></row>`)
		}, nil, "CELL_TOO_LARGE"},
		{"an attribute of 1 MB", func(w io.Writer) { io.WriteString(w, `<row r="1"><c r="A1" x="`+big+`"><v>1</v></c></row>`) }, nil, "ROW_TOO_LARGE"},
		{"an attribute of 1 MB full of >", func(w io.Writer) {
			io.WriteString(w, `<row r="1"><c r="A1" x="`+strings.Repeat("a>", 512<<10)+`"><v>1</v></c></row>`)
		}, nil, "ROW_TOO_LARGE"},
		{"a row of 20,000 cells", func(w io.Writer) {
			io.WriteString(w, `<row r="1">`)
			repeat(`<c><v>1</v></c>`, 20_000)(w)
			io.WriteString(w, `</row>`)
		}, nil, "ROW_TOO_LARGE"},
		{"a row of 3 MB in cells of 200 KB", func(w io.Writer) {
			io.WriteString(w, `<row r="1">`)
			repeat(`<c t="inlineStr"><is><t>`+big[:200<<10]+`</t></is></c>`, 15)(w)
			io.WriteString(w, `</row>`)
		}, nil, "ROW_TOO_LARGE"},
		{"a row citing a 200 KB shared string 16,000 times", func(w io.Writer) {
			io.WriteString(w, `<row r="1">`)
			repeat(`<c t="s"><v>0</v></c>`, 16_000)(w)
			io.WriteString(w, `</row>`)
		}, repeat(`<si><t>`+big[:200<<10]+`</t></si>`, 1), "ROW_TOO_LARGE"},
		{"a row citing a 200 KB shared string 16,000 times, t prefixed and far from the tag's start", func(w io.Writer) {
			io.WriteString(w, `<row r="1">`)
			repeat(`<c s="0" `+strings.Repeat(" ", 300)+`x:t='s'><v>0</v></c>`, 16_000)(w)
			io.WriteString(w, `</row>`)
		}, repeat(`<si><r><t>`+big[:100<<10]+`</t></r><r><t>`+big[:100<<10]+`</t></r></si>`, 1), "ROW_TOO_LARGE"},
		{"20 MB of white space between rows", func(w io.Writer) { repeat(strings.Repeat(" ", 1<<20), 20)(w) }, nil, "CELL_TOO_LARGE"},
		{"a comment of 1 MB", func(w io.Writer) { io.WriteString(w, `<row r="1"><!--`+big+`--><c><v>1</v></c></row>`) }, nil, "CELL_TOO_LARGE"},
		{"a CDATA section of 1 MB", func(w io.Writer) {
			io.WriteString(w, `<row r="1"><c t="inlineStr"><is><t><![CDATA[`+big+`]]></t></is></c></row>`)
		}, nil, "CELL_TOO_LARGE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeWorkbook(t, c.rows, c.sst)
			var err error
			alloc := allocated(func() { _, err = readAll(path) })
			e, ok := errs.As(err)
			if !ok || e.Code != c.code {
				t.Fatalf("read: %v; want %s", err, c.code)
			}
			if alloc > 48<<20 {
				t.Errorf("refusing it allocated %d MB; the scan must refuse it before excelize reads it", alloc>>20)
			}
			if readBudget.inUse() != 0 {
				t.Errorf("the refused file still holds %d bytes of the read budget", readBudget.inUse())
			}
		})
	}
}

func TestAWorkbookWithinTheLimitsReadsAndGivesItsBudgetBack(t *testing.T) {
	cell := strings.Repeat("é", 30_000) // 60 KB: long, but a cell Excel can hold
	path := writeWorkbook(t, func(w io.Writer) {
		io.WriteString(w, `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>`+cell+`</t></is></c></row>`)
		io.WriteString(w, `<row r="2"><c r="A2" t="s"><v>1</v></c><c r="C2"><v>42</v></c></row>`)
	}, func(w io.Writer) {
		io.WriteString(w, `<si><t>sku</t></si><si><r><t>A</t></r><r><rPr><b/></rPr><t>B</t></r></si>`)
	})
	r, _, err := Open(path, testLimits, "Products")
	if err != nil {
		t.Fatal(err)
	}
	if readBudget.inUse() == 0 {
		t.Error("an open workbook reserved nothing of the read budget")
	}
	var rows [][]string
	for r.Next() {
		_, cells := r.Row()
		rows = append(rows, cells)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	want := [][]string{{"sku", cell}, {"AB", "", "42"}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows differ: %d rows", len(rows))
	}
	if readBudget.inUse() != 0 {
		t.Errorf("a closed workbook still holds %d bytes of the read budget", readBudget.inUse())
	}
}

func TestFilesReadAtOnceShareTheReadBudget(t *testing.T) {
	b := newBudget(100)
	r1 := b.reserve(60)
	got := make(chan struct{})
	go func() {
		r2 := b.reserve(60)
		close(got)
		r2()
	}()
	select {
	case <-got:
		t.Fatal("a reservation past the budget did not wait")
	default:
	}
	r1()
	r1() // giving back twice gives back once
	<-got
	if b.inUse() != 0 {
		t.Fatalf("in use %d after both were given back", b.inUse())
	}
}

// csvRecords reads s with the bounded reader.
func csvRecords(s string, comma byte, in func(io.Reader) io.Reader) ([][]string, []int, error) {
	r := newRecordReader(bufio.NewReaderSize(in(strings.NewReader(s)), 64<<10), comma)
	var out [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, lines, nil
		}
		if err != nil {
			return out, lines, err
		}
		line, _ := r.FieldPos(0)
		out, lines = append(out, append([]string(nil), rec...)), append(lines, line)
	}
}

// stdRecords reads s with encoding/csv as Cascade used to.
func stdRecords(s string, comma byte) ([][]string, []int, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = rune(comma), -1, true
	var out [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, lines, nil
		}
		if err != nil {
			return out, lines, err
		}
		line, _ := r.FieldPos(0)
		out, lines = append(out, rec), append(lines, line)
	}
}

func sameAsEncodingCSV(t *testing.T, s string) {
	t.Helper()
	for _, comma := range []byte{',', ';'} {
		want, wantLines, werr := stdRecords(s, comma)
		for how, in := range map[string]func(io.Reader) io.Reader{"whole": func(r io.Reader) io.Reader { return r }, "byte a read": iotest.OneByteReader} {
			got, lines, err := csvRecords(s, comma, in)
			if (err != nil) != (werr != nil) || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(lines, wantLines) {
				t.Fatalf("%q (%c, %s):\n got %q lines %v err %v\nwant %q lines %v err %v", s, comma, how, got, lines, err, want, wantLines, werr)
			}
		}
	}
}

func TestTheBoundedCSVReaderReadsAsEncodingCSVDoes(t *testing.T) {
	for _, s := range []string{
		"", "\n", "\r", "\r\n", "a", "a\n", "a\r", "a\r\n", "a,b\nc,d\n", "a,\n", "a,", ",\n,", "\n\na\n\nb",
		"\"a\"", "\"a\"\n", "\"a\"\r", "\"a\"\r\n", "\"a,b\",c\n", "\"a\"\"b\"", "\"a\nb\"\nc", "\"a\r\nb\"\r\nc\r\n",
		"\"a\rb\"", "\"a\"\rb\n", "12\" screen,x\n", "\"12\" screen\",x\n", "\"unclosed\nmore", "\"a\"b,c", "a\rb,c\r\n",
		"\r\ra", "\"\"", "\"\"\"\"", "a;b,c\n\"x;y\";z", "\ufeffsku", "a,\"b\r\"\r\n", "\"a\r", "\"a\"\"",
	} {
		sameAsEncodingCSV(t, s)
	}
}

// TestTheBoundedCSVReaderCutsAtTheSameByteHoweverTheBytesArrive: with small
// bounds, a field is cut at maxCell bytes (never inside a character) and a
// record of more than maxRow kept bytes is refused, whether the reader gets
// its bytes in runs (addPlain) or one at a time, as encoding/csv's fields cut
// the same way would have it.
func TestTheBoundedCSVReaderCutsAtTheSameByteHoweverTheBytesArrive(t *testing.T) {
	const maxCell, maxRow = 5, 12
	for _, s := range []string{
		"abc,defghij,k\n", "abcdefghijkl\n", "\"abcdefgh\",\"x\"\"yz\"\n", "ééé,abcdé\n", "a,b,c,d,e,f,g,h,i,j,k,l,m\n",
		"abcde,abcde,ab\n", "abcde,abcde,abc\n", "\"ab\ncdefg\",h\nij\n", "12\" screen,x\n", "abcdefghijklmnopqrstuvwxyz,a\n",
	} {
		want, _, _ := stdRecords(s, ',')
		wantErr := false
		for i, rec := range want {
			kept := 0
			for j, f := range rec {
				if len(f) > maxCell {
					f = f[:maxCell]
					for len(f) > 0 && !utf8.ValidString(f) {
						f = f[:len(f)-1]
					}
					want[i][j] = f
				}
				kept += len(f)
			}
			if kept > maxRow {
				want, wantErr = want[:i], true
				break
			}
		}
		for how, in := range map[string]func(io.Reader) io.Reader{"whole": func(r io.Reader) io.Reader { return r }, "byte a read": iotest.OneByteReader} {
			r := newRecordReader(bufio.NewReaderSize(in(strings.NewReader(s)), 16), ',')
			r.maxCell, r.maxRow = maxCell, maxRow
			var got [][]string
			var err error
			for {
				var rec []string
				if rec, err = r.Read(); err != nil {
					break
				}
				got = append(got, append([]string(nil), rec...))
			}
			if e, ok := errs.As(err); (ok && e.Code == "ROW_TOO_LARGE") != wantErr || !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
				t.Errorf("%q (%s): got %q, %v; want %q, refused %v", s, how, got, err, want, wantErr)
			}
		}
	}
}

func FuzzRecordReader(f *testing.F) {
	for _, s := range []string{"a,b\nc,d\n", "\"a\r\nb\"\r\nc", "\"x\"y,\"\"\n\r\n;", "12\" screen;\"a;b\"\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { sameAsEncodingCSV(t, s) })
}

func TestACSVCellIsCutAsItStreamsAndARowIsBounded(t *testing.T) {
	huge := "sku,model\nA," + strings.Repeat("x", 40<<20) + "é\nB,ok\n"
	var recs [][]string
	var err error
	alloc := allocated(func() { recs, _, err = csvRecords(huge, ',', func(r io.Reader) io.Reader { return r }) })
	if err != nil || len(recs) != 3 || len(recs[1][1]) != MaxCellBytes || recs[2][1] != "ok" {
		t.Fatalf("records %d, err %v", len(recs), err)
	}
	if alloc > 8<<20 {
		t.Errorf("reading a 40 MB cell allocated %d MB; it must be cut as it streams", alloc>>20)
	}
	// A cut never splits a character.
	cut, _, _ := csvRecords("é"+strings.Repeat("é", MaxCellBytes), ',', func(r io.Reader) io.Reader { return r })
	if s := cut[0][0]; len(s) != MaxCellBytes || !strings.HasSuffix(s, "é") {
		t.Errorf("cut cell: %d bytes, ends %q", len(s), s[len(s)-3:])
	}
	for name, s := range map[string]string{
		"20,000 cells":         strings.Repeat(",", 20_000) + "\n",
		"3 MB in 200 KB cells": strings.Repeat(strings.Repeat("y", 200<<10)+",", 15) + "\n",
	} {
		_, _, err := csvRecords("sku\n"+s, ',', func(r io.Reader) io.Reader { return r })
		if e, ok := errs.As(err); !ok || e.Code != "ROW_TOO_LARGE" || !strings.Contains(e.Message, "line 2") {
			t.Errorf("%s: %v; want ROW_TOO_LARGE naming line 2", name, err)
		}
	}
}

func TestACSVFileCutsItsCellsThroughOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.csv")
	var b bytes.Buffer
	fmt.Fprintf(&b, "sku,model\nA,%s\n", strings.Repeat("m", 1<<20))
	os.WriteFile(path, b.Bytes(), 0o600)
	rows, err := readAll(path)
	if err != nil || len(rows) != 2 || len(rows[1][1]) != MaxCellBytes {
		t.Fatalf("rows %d err %v", len(rows), err)
	}
}

package tabular

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// countRows feeds xml to a rowCounter through r, as the XML scan does.
func countRows(r io.Reader) (int, error) {
	c := &rowCounter{}
	_, err := io.Copy(io.Discard, io.TeeReader(r, c))
	return c.lastRow, err
}

func TestRowCounterCountsRowsAsExcelizeNumbersThem(t *testing.T) {
	const ws = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`
	cases := []struct {
		name, xml string
		last      int
		refused   bool
	}{
		{"numbered rows", ws + `<sheetData><row r="1"><c r="A1"/><c r="C1"/></row><row r="4"/></sheetData></worksheet>`, 4, false},
		{"attributes after r", ws + `<sheetData><row r="1" spans="1:3" ht="15"><c r="B1" t="s" s="2"><v>0</v></c><c r="C1" t="n"/></row><row r="2" spans="1:3"><c r="A2" t="s"/></row></sheetData></worksheet>`, 2, false},
		{"attributes after r, out of order", ws + `<sheetData><row r="2" spans="1:3"><c r="B2" t="s"/><c r="A2" t="s"/></row></sheetData></worksheet>`, 2, true},
		{"unnumbered rows and cells follow the one before", ws + `<sheetData><row><c/><c/></row><row r="3"><c/><c r="B3"/></row><row/></sheetData></worksheet>`, 4, false},
		{"a namespace prefix", `<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="2"><x:c r="AB2"/></x:row><x:row r="1"/></x:sheetData></x:worksheet>`, 2, true},
		{"single quotes and a > in another attribute", ws + `<sheetData><row spans="1>2" r='5'><c s=">" r='a5'/></row></sheetData></worksheet>`, 5, false},
		{"rows outside sheetData are not counted", ws + `<sheetPr><row r="9"/></sheetPr><sheetData><row r="1"/></sheetData><rowBreaks><row r="1"/></rowBreaks></worksheet>`, 1, false},
		{"comments, CDATA and instructions are skipped", ws + `<sheetData><!-- <row r="7"/> --><row r="1"><c><is><t><![CDATA[<row r="9">]]></t></is></c></row><?pi <row r="8"?></sheetData></worksheet>`, 1, false},
		{"an empty sheetData", ws + `<sheetData/><row r="3"/></worksheet>`, 0, false},
		{"a repeated row", ws + `<sheetData><row r="1"/><row r="2"/><row r="2"/></sheetData></worksheet>`, 2, true},
		{"a row before an unnumbered one's number", ws + `<sheetData><row r="3"/><row/><row r="4"/></sheetData></worksheet>`, 4, true},
		{"a cell left of the one before", ws + `<sheetData><row r="1"><c r="C1"/><c r="B1"/></row></sheetData></worksheet>`, 1, true},
		{"a repeated cell", ws + `<sheetData><row r="1"><c r="A1"/><c/><c r="b1"/></row></sheetData></worksheet>`, 1, true},
	}
	for _, c := range cases {
		for how, r := range map[string]func() io.Reader{
			"whole":       func() io.Reader { return strings.NewReader(c.xml) },
			"byte a read": func() io.Reader { return iotest.OneByteReader(strings.NewReader(c.xml)) },
		} {
			last, err := countRows(r())
			if c.refused {
				if errs.CodeOf(err) != "ROWS_OUT_OF_ORDER" {
					t.Errorf("%s (%s): %v, want ROWS_OUT_OF_ORDER", c.name, how, err)
				}
				continue
			}
			if err != nil || last != c.last {
				t.Errorf("%s (%s): last row %d, %v; want %d", c.name, how, last, err, c.last)
			}
		}
	}
}

// The count and the verdict must not depend on where reads split the part.
func FuzzRowCounter(f *testing.F) {
	for _, s := range []string{`<sheetData><row r="1"><c r="B1"/></row><row/><!--<row>--></sheetData>`, `<sheetData><row r="2"/><row r='1'/></sheetData>`, `<x:sheetData><x:row><![CDATA[<row>]]></x:row></x:sheetData>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, werr := countRows(bytes.NewReader(data))
		split, serr := countRows(iotest.OneByteReader(bytes.NewReader(data)))
		if whole != split || (werr == nil) != (serr == nil) {
			t.Fatalf("read whole: %d, %v; a byte a read: %d, %v", whole, werr, split, serr)
		}
	})
}

// lineEnds turns CRLF and every CR that no LF follows into an LF, wherever reads split the text.
func FuzzLineEnds(f *testing.F) {
	for _, s := range []string{"a\rb\r\nc\n\r", "\r", "\r\r\n", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
		for how, r := range map[string]io.Reader{
			"whole":       &lineEnds{r: bytes.NewReader(data)},
			"byte a read": &lineEnds{r: iotest.OneByteReader(bytes.NewReader(data))},
			"half reads":  &lineEnds{r: iotest.HalfReader(bytes.NewReader(data))},
		} {
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: %q, %v; want %q", how, got, err, want)
			}
		}
	})
}

package tabular

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The fast paths (xmlplain.go) read what most cells, rows and shared
// strings are without a token each. They must read exactly as the token
// path does: the same rows, the same errors, the same counts. These tests
// read every file and part both ways.

// reading is all that reading a workbook or its parts one way gives.
type reading struct {
	rows     []string // each row's number and cells
	held     int
	err      string
	elements int64 // start tags the sheet's part reader read
	at       int64 // and where it stopped
	shared   string
	// the shared strings' part reader: start tags, and where it stopped
	sharedElements, sharedAt int64
}

// readFile reads the sheet preferred of the workbook at path, with or
// without the fast paths.
func readFile(path, preferred string, tokensOnly bool) reading {
	s, err := openXLSX(path, testLimits, preferred, tokensOnly)
	if err != nil {
		return reading{err: err.Error()}
	}
	defer s.Close()
	return readSheet(s)
}

func readSheet(s *xlsxSheet) reading {
	var out reading
	for s.Next() {
		n, cells := s.Row()
		out.rows = append(out.rows, fmt.Sprintf("%d %q", n, cells))
	}
	if err := s.Err(); err != nil {
		out.err = err.Error()
	}
	out.held, out.elements, out.at = s.Held(), s.p.elements, s.p.consumed+int64(s.p.pos)
	if s.sst != nil {
		out.shared = fmt.Sprintf("%q %v", s.sst.text, s.sst.ends)
	}
	return out
}

// readParts reads a worksheet part and a shared-strings part as the sheet
// reader does, in reads of step bytes (0: whole), with or without the fast
// paths. Cell formats 1, 2 and 4 are dates.
func readParts(sheet, sst string, step int, tokensOnly bool) reading {
	source := func(s string) io.Reader {
		if step == 0 {
			return strings.NewReader(s)
		}
		return &chunked{s: s, n: step}
	}
	sp := newPartReader(source(sst), "xl/sharedStrings.xml", partShared)
	sp.tokensOnly = tokensOnly
	table, err := readSharedStrings(sp, int64(len(sst)))
	if err == nil {
		err = sp.drain()
	}
	if err != nil {
		return reading{err: err.Error(), elements: sp.elements, at: sp.consumed + int64(sp.pos)}
	}
	s := &xlsxSheet{sst: table, dateXf: []bool{false, true, true, false, true}, tokensOnly: tokensOnly}
	s.p = newPartReader(source(sheet), "xl/worksheets/sheet1.xml", partSheet)
	s.p.tokensOnly = tokensOnly
	if err := s.toSheetData(); err != nil {
		return reading{err: err.Error()}
	}
	out := readSheet(s)
	out.sharedElements, out.sharedAt = sp.elements, sp.consumed+int64(sp.pos)
	return out
}

// bothWays requires the two readings of one file or part to be the same.
func bothWays(t *testing.T, read func(tokensOnly bool) reading) reading {
	t.Helper()
	fast, tokens := read(false), read(true)
	if !reflect.DeepEqual(fast, tokens) {
		for i := range max(len(fast.rows), len(tokens.rows)) {
			if i >= len(fast.rows) || i >= len(tokens.rows) || fast.rows[i] != tokens.rows[i] {
				t.Errorf("row %d differs", i+1)
				break
			}
		}
		t.Fatalf("the fast paths read\n %+v\nthe tokens\n %+v", fast, tokens)
	}
	return fast
}

// Every workbook of the repository's fixtures, every sheet of it; the
// sheets of the differential tests, read and refused; the benchmark's
// sheets: each reads the same with the fast paths and without them.
func TestEveryFixtureReadsTheSameWithoutTheFastPaths(t *testing.T) {
	eachFixtureSheet(t, func(t *testing.T, path, sheet string) {
		if r := bothWays(t, func(tokensOnly bool) reading { return readFile(path, sheet, tokensOnly) }); r.err != "" || len(r.rows) == 0 {
			t.Fatalf("%d rows, %s", len(r.rows), r.err)
		}
	})
	for _, c := range cellCases {
		t.Run(c.name, func(t *testing.T) {
			path := rawBook(t, c.sheet, cellCasesSST, dateStyles, false)
			bothWays(t, func(tokensOnly bool) reading { return readFile(path, "", tokensOnly) })
		})
	}
	for _, c := range refusedCases {
		t.Run(c.name, func(t *testing.T) {
			path := rawBook(t, c.sheet, `<si><t>a</t></si>`, dateStyles, false)
			if r := bothWays(t, func(tokensOnly bool) reading { return readFile(path, "", tokensOnly) }); r.err == "" {
				t.Fatal("read")
			}
		})
	}
	for _, shared := range []bool{true, false} {
		t.Run(fmt.Sprintf("benchmark sheet, shared=%v", shared), func(t *testing.T) {
			path := benchBook(t, 3000, shared)
			if r := bothWays(t, func(tokensOnly bool) reading { return readFile(path, "", tokensOnly) }); len(r.rows) != 3000 {
				t.Fatalf("%d rows, %s", len(r.rows), r.err)
			}
		})
	}
}

// fastPathSheets are sheets (inside sheetData) near what the fast paths
// read: each a little off, where reading falls back to the tokens.
var fastPathSheets = []string{
	`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>in</t></is></c><c r="C1" s="1"><v>47299</v></c><c r="D1"/><c r="E1"></c></row>`,
	`<row r="1" spans="1:3"><c r="A1" s="0" t="s"><v> 1 </v></c><c t="s" r="B1"><v>0</v></c><c r="C1" t="n" s="2" x="y"><v>47299.5</v></c></row><row r="3"/>`,
	`<row r="1"><c r="A1" t="s"><v>9</v></c></row>`,
	`<row r="1"><c r="A1" t="s"><v>x</v></c></row>`,
	`<row r="1"><c r="B1"/><c r="A1"/></row>`,
	`<row r="1"><c r="XFE1"><v>1</v></c></row>`,
	`<row r="1"><c r="A1048577"><v>1</v></c></row>`,
	`<row r="1"><c r="$A$1"><v>1</v></c><c r="b1"><v>2</v></c><c r="C01"><v>3</v></c><c r="D0"><v>4</v></c></row>`,
	`<row r="1"><c r="A1" s="x"><v>1</v></c></row>`,
	`<row r="1"><c r="A1" t="s" t="inlineStr"><is><t>two types</t></is></c><c r="B1" r="C1"><v>two refs</v></c></row>`,
	`<row r="1"><c r="A1"><v>a&amp;b</v></c><c r="B1"><v>cr` + "\r\n" + `</v></c><c r="C1" t="inlineStr"><is><t>&#x41;</t></is></c></row>`,
	`<row r="1"><c r="A1"><v>1</v><f>A2</f></c><c r="B1"><f>1</f><v>2</v></c><c r="C1"><v>1</v><v>2</v></c></row>`,
	`<row r="1"><c r="A1" t="inlineStr"><is><t>a</t><t>b</t></is></c><c r="B1" t="inlineStr"><is><r><t>r</t></r></is></c><c r="C1" t="inlineStr"><is><t xml:space="preserve"> p </t></is></c></row>`,
	`<row r="1"><c r="A1" t="inlineStr"><is><t>_x0041__x005F_</t></is></c><c r="B1" t="inlineStr"><v>v</v></c><c r="C1" t="s"><is><t>is</t></is></c></row>`,
	`<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is><v>b</v></c><c r="B1" t='s'><v>0</v></c><c  r="C1"><v>1</v></c><c r = "D1"><v>1</v></c></row>`,
	`<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row><row r="1"/>`,
	`<row r="1"><c r="A1"><v>1</c></v></row>`,
	`<row r="1"><c r="A1"><v>1</v></c></x:row>`,
	`<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c><c r="B1"><v>2</v></c></x:row><row r="2"><x:c r="A2"><v>3</v></x:c></row>`,
	"<row r=\"1\">\n <c r=\"A1\"><v>1</v></c>\n <c r=\"B1\"><v>2</v></c>\n</row>\n<row r=\"2\"><c r=\"A2\"><v>\t</v></c><c r=\"B2\"><v>  </v></c></row>",
	`<row r="1"><c r="A1"><v><![CDATA[<c r="B1"><v>x</v></c>]]></v></c><c r="C1"><!--<c r="D1"/>--><v>1</v></c></row>`,
	`<row r="1"><c r="A1"><v>1</v></c><c r="B1" x="a>b"><v>2</v></c><c r="C1" x="a<b"><v>3</v></c></row>`,
	`<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c><c/></row><row><c><v>x</v></c><c r="AAA2"/></row>`,
	`<row r="1"><c r="A1"><extLst><v>nested</v></extLst></c><c r="B1"><v>a<b>skip</b>c</v></c><c r="C1"><is><t>no type</t></is></c></row>`,
	`<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"/><row r="4"><c r="A4" t="s"><v>1</v></c></row>`,
	`<row r="1"><c r="A1"><v>1</v></c><c r="B1"/ ></row>`,
	`<row r="1"><c r="A1"><v>1</v></c><c r="B1" /></row>`,
	`<row r="1"><c r="A1"><v>1</v></c><c r="B1"`,
	`<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2`,
	`<row/><row r="3"/><row r="2"/>`,
	`<row r="1"/><row/><row r="x"/>`,
	`<row r="1" r="5"><c><v>1</v></c></row><row r="1048577"/>`,
	`<row r="1"><c r="A1"><v>1</v></c></row><row  r="2"/><row r='3'/><row x:r="4"/><row r="5" />`,
	`<row r="1"></row><rows/><row r="2"/ >`,
}

// The sheets near the fast paths, and the benchmark's, read the same both
// ways, whole and in reads of every size up to 40 bytes (the fast paths
// give up at the end of what is read: the tokens go on from there).
func TestTheFastPathsReadPartsAsTheTokensDo(t *testing.T) {
	const sst = `<si><t>zero</t></si><si><t>one</t></si><si><t>_x0041_</t></si><si><t xml:space="preserve"> sp </t></si><si><r><t>ri</t></r><r><t>ch</t></r></si><si/><si><t></t></si><si><t>a&amp;b</t></si>`
	head := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:C3"/><sheetData>`
	var bench strings.Builder
	for r := 1; r <= 40; r++ {
		fmt.Fprintf(&bench, `<row r="%d"><c r="A%d" t="s"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>SKU-%07d</t></is></c><c r="C%d" s="1"><v>%d</v></c></row>`, r, r, r%5, r, r, r, 47000+r)
	}
	for i, sheet := range append(fastPathSheets, bench.String()) {
		part := head + sheet + `</sheetData></worksheet>`
		for step := 0; step <= 40; step++ {
			got := bothWays(t, func(tokensOnly bool) reading { return readParts(part, `<sst>`+sst+`</sst>`, step, tokensOnly) })
			if step == 0 {
				t.Logf("sheet %d: %d rows, %s", i, len(got.rows), got.err)
			}
		}
	}
}

// FuzzFastPathsReadAsTheTokens reads a sheet and shared strings made of
// the fuzz input both ways, in reads of a size the input chooses: as the
// sheetData of the sheet, spliced into cells (text, attributes, markup)
// and into shared strings. Rows, errors and counts must be the same.
func FuzzFastPathsReadAsTheTokens(f *testing.F) {
	for _, s := range fastPathSheets {
		f.Add(s, uint8(0))
		f.Add(s, uint8(7))
	}
	for _, s := range []string{"plain", "0", " 1 ", "a&amp;b", "x\r\ny", `A1" t="s`, `1"/><c r="B1`, "</v></c><c><v>", "</t></is></c>", "_x0041_", "<![CDATA[<]]>", "🙂", "\x00"} {
		f.Add(s, uint8(1))
		f.Add(s, uint8(12))
	}
	f.Fuzz(func(t *testing.T, data string, mode uint8) {
		step := int(mode >> 2) // 0: whole, else reads of 1 to 63 bytes
		head := `<?xml version="1.0" encoding="UTF-8"?><worksheet><sheetData>`
		var sheet, sst string
		if mode&1 == 0 {
			sheet = head + data + `</sheetData></worksheet>`
			sst = `<sst><si><t>zero</t></si><si><t>one</t></si></sst>`
		} else {
			sheet = head + `<row r="1"><c r="A1" t="s"><v>` + data + `</v></c><c r="B1" t="inlineStr"><is><t>` + data + `</t></is></c><c r="C1" s="` + data + `"><v>1</v></c>` +
				`<c r="` + data + `"><v>2</v></c></row><row r="2"><c r="A2" t="` + data + `"><v>0</v></c>` + data + `<c r="Z2" s="1"><v>` + data + `</v></c></row></sheetData></worksheet>`
			sst = `<sst><si><t>zero</t></si><si><t>` + data + `</t></si>` + data + `<si><t>two</t></si></sst>`
		}
		if mode&2 != 0 {
			sst = `<sst>` + data + `</sst>`
		}
		bothWays(t, func(tokensOnly bool) reading { return readParts(sheet, sst, step, tokensOnly) })
	})
}

// TestTextAndValueEndStopAtTheFirstStopByte holds the eight-byte searches
// (firstZero's masks, whose bits above the first match may be wrong) to a
// byte-at-a-time loop: each stop byte at every position of a 20-byte text,
// after and before the bytes that upset a borrow (0x00, 0x01, 0x80, 0xFF
// and the stop bytes' neighbours), with a "_" here and there for
// plainText's report of one before the stop.
func TestTextAndValueEndStopAtTheFirstStopByte(t *testing.T) {
	naive := func(b []byte, i int, stops string) int {
		for i < len(b) && !strings.ContainsRune(stops, rune(b[i])) {
			i++
		}
		return i
	}
	textEnd := func(b []byte, i int) int {
		end, underscore := plainText(b, i)
		if want := bytes.IndexByte(b[i:end], '_') >= 0; underscore != want {
			t.Fatalf("plainText(%q, %d) says %v of a _ before %d", b, i, underscore, end)
		}
		return end
	}
	tests := []struct {
		name  string
		end   func([]byte, int) int
		stops string
	}{
		{"plainText", textEnd, "<&\r"},
		{"valueEnd", valueEnd, "\"<&\r"},
	}
	fillers := []byte{'a', 0x00, 0x01, 0x80, 0xFF, '<' + 1, '<' - 1, '&' + 1, '_' + 1, '"' + 1, '\r' + 1, '\r' - 1, '_', '"'}
	for _, tt := range tests {
		for _, stop := range []byte(tt.stops) {
			for _, filler := range fillers {
				for pos := 0; pos <= 20; pos++ {
					for from := 0; from < 3; from++ {
						b := bytes.Repeat([]byte{filler}, 20)
						if pos < len(b) {
							b[pos] = stop
						}
						if pos+1 < len(b) {
							b[pos+1] = stop // a second one after the first
						}
						if u := (pos + from) % 23; u < len(b) && u != pos && u != pos+1 {
							b[u] = '_' // before, after or at from
						}
						if got, want := tt.end(b, from), naive(b, from, tt.stops); got != want {
							t.Fatalf("%s(%q, %d) = %d, want %d", tt.name, b, from, got, want)
						}
					}
				}
			}
		}
	}
}

// TestBeginRowNotesTheRowsNumberAsReferencesEndWithIt holds beginRow's
// digits by hand to strconv's, for every length of a row number.
func TestBeginRowNotesTheRowsNumberAsReferencesEndWithIt(t *testing.T) {
	for _, n := range []int{1, 9, 10, 42, 99, 100, 999, 1000, 12345, 99999, 100000, 999999, 1000000, maxRows} {
		var s xlsxSheet
		s.p = &partReader{}
		s.beginRow(n, false)
		want := strconv.Itoa(n) + `"`
		var ref [8]byte
		copy(ref[:], want)
		if s.refLen != len(want) || s.refWord != binary.LittleEndian.Uint64(ref[:]) {
			t.Errorf("row %d: refLen %d, refWord %#x; want %d, %#x (%q)", n, s.refLen, s.refWord, len(want), binary.LittleEndian.Uint64(ref[:]), want)
		}
	}
}

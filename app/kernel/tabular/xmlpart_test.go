package tabular

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// tokens reads a part with the part reader and writes down every token,
// text decoded (pieces of one run joined), and the verdict.
func tokens(r io.Reader, kind int) (string, error) {
	p := newPartReader(r, "p", kind)
	var out strings.Builder
	var text []byte
	flush := func() {
		if len(text) > 0 {
			fmt.Fprintf(&out, "%q ", text)
			text = text[:0]
		}
	}
	for {
		switch p.next() {
		case tokEOF:
			flush()
			return out.String(), p.err
		case tokStart:
			flush()
			fmt.Fprintf(&out, "<%s%s%s> ", p.qname, p.attrs, map[bool]string{true: "/"}[p.empty])
		case tokEnd:
			flush()
			fmt.Fprintf(&out, "</%s> ", p.qname)
		case tokText:
			text = p.appendText(text)
		}
	}
}

func TestThePartReaderRefusesWhatWouldLoseRows(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	cases := []struct {
		name, xml string
		fault     string // "" when the part is sound
	}{
		{"a sheet", head + `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>Grüße 🙂</t></is></c></row></sheetData></worksheet>`, ""},
		{"predefined and numeric references", head + `<x a="&quot;&amp;&#10;&#x1F642;"><t>&lt;&gt;&apos;&#38;</t></x>` + "\r\n", ""},
		{"& in CDATA, comments and instructions", head + `<x><![CDATA[a & b ]] ]]><!-- R&D -- --><?pi a & b?></x>`, ""},
		{"an empty part", "", ""},
		{"a bare &", head + `<x><t>Salt & Pepper</t></x>`, "bare &"},
		{"a bare & at the end of the text", head + `<x><t>AT&</t></x>`, "bare &"},
		{"an entity from a DTD", head + `<x><t>&lol9;</t></x>`, "not a character reference"},
		{"an entity in an attribute", head + `<x a="&ent;"/>`, "not a character reference"},
		{"a numeric reference without digits", head + `<x>&#x;</x>`, "not a character reference"},
		{"a reference to a character XML forbids", head + `<x>&#0;</x>`, "not a character reference"},
		{"a DTD", head + `<!DOCTYPE lolz [<!ENTITY lol "lol">]><x/>`, "DTD"},
		{"Windows-1252 text", head + "<x><t>Gr\xfc\xdfe</t></x>", "not UTF-8"},
		{"a control character", head + "<x><t>a\x07b</t></x>", "U+0007"},
		{"a part cut short in a tag", head + `<worksheet><sheetData><row r="1"><c`, "cut short"},
		{"a part cut short in text", head + `<worksheet><sheetData><row r="1"><c><v>12`, "cut short"},
		{"a part cut short after a tag", head + `<worksheet><sheetData><row r="1">`, "cut short"},
		{"a part cut short in a comment", head + `<x><!-- never closed >`, "cut short"},
		{"a part cut short in CDATA", head + `<x><![CDATA[ never closed`, "cut short"},
		{"a part cut short in a character", head + "<x>\xf0\x9f", "character"},
		{"an element closed by another", head + `<x><y></x></y>`, "closes no element"},
		{"an end tag without a start", head + `<x/></x>`, "closes no element"},
		{"a < in an attribute", head + `<x a="<"/>`, "< inside a tag"},
	}
	for _, c := range cases {
		for how, reader := range map[string]func(string) io.Reader{
			"whole":       func(s string) io.Reader { return strings.NewReader(s) },
			"byte a read": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		} {
			_, err := tokens(reader(c.xml), partOther)
			switch {
			case c.fault == "" && err != nil:
				t.Errorf("%s (%s): refused a sound part: %v", c.name, how, err)
			case c.fault != "" && (err == nil || !strings.Contains(err.Error(), c.fault) || errs.CodeOf(err) != "UNREADABLE_FILE"):
				t.Errorf("%s (%s): got %v, want UNREADABLE_FILE about %q", c.name, how, err, c.fault)
			}
		}
	}
}

func TestThePartReaderDecodesTextAsAnXMLParserDoes(t *testing.T) {
	got, err := tokens(iotest.OneByteReader(strings.NewReader("<a x='1' y=\"&lt;\"><b/>a&amp;b&#x1F642;\r\nc\rd<![CDATA[<&>\r\n]]></a>")), partOther)
	want := `<a x='1' y="&lt;"> <b/> "a&b🙂\nc\nd<&>\n" </a> `
	if err != nil || got != want {
		t.Fatalf("got %s, %v\nwant %s", got, err, want)
	}
}

func TestThePartReaderBoundsTagsCommentsAndText(t *testing.T) {
	big := strings.Repeat("x", MaxCellBytes+1)
	for name, c := range map[string]struct{ xml, code string }{
		"a tag of 1 MB":                  {`<x a="` + strings.Repeat("a>", 512<<10) + `"/>`, "ROW_TOO_LARGE"},
		"a comment of 1 MB":              {`<x><!--` + big + `--></x>`, "CELL_TOO_LARGE"},
		"an instruction of 1 MB":         {`<x><?pi ` + big + `?></x>`, "CELL_TOO_LARGE"},
		"text of 1 MB":                   {`<x>` + big + `</x>`, "CELL_TOO_LARGE"},
		"a CDATA section of 1 MB":        {`<x><![CDATA[` + big + `]]></x>`, "CELL_TOO_LARGE"},
		"20 MB of white space":           {`<x>` + strings.Repeat(" ", 20<<20) + `</x>`, "CELL_TOO_LARGE"},
		"1 MB of white space is allowed": {`<x>` + strings.Repeat(" \r\n", 1<<20/3) + `</x>`, ""},
		"elements past the bound":        {`<x>` + strings.Repeat(`<y/>`, MaxPartElements) + `</x>`, "FILE_TOO_LARGE"},
		"nesting past the bound":         {strings.Repeat(`<y>`, maxDepth+1), "UNREADABLE_FILE"},
	} {
		_, err := tokens(strings.NewReader(c.xml), partOther)
		if c.code == "" && err != nil || c.code != "" && errs.CodeOf(err) != c.code {
			t.Errorf("%s: %v; want %q", name, err, c.code)
		}
	}
}

// FuzzPartReader: the tokens and the verdict do not depend on where reads
// split the part.
func FuzzPartReader(f *testing.F) {
	for _, s := range []string{`<?xml version="1.0"?><x a="&amp;">&#38;<![CDATA[&]]><!--&--></x>`, "<x>&lol;</x>", "<x>\xf0\x9f\x99\x82</x>", "<x",
		`<sheetData><row r="1"><c r="B1" t="s"><v>0</v></c></row><row/><!--<row>--></sheetData>`, "<a>\r\n\r</a>", "<a>x&#13;\r&amp;</a>"} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, split uint8) {
		whole, werr := tokens(strings.NewReader(s), partSheet)
		step := int(split%16) + 1
		parts, perr := tokens(&chunked{s: s, n: step}, partSheet)
		// Tokens read before a fault may differ; the verdict may not.
		if errs.CodeOf(werr) != errs.CodeOf(perr) || werr == nil && whole != parts {
			t.Fatalf("whole: %s %v\nin reads of %d: %s %v", whole, werr, step, parts, perr)
		}
		if werr == nil && len(s) > 0 {
			// What it accepts, an XML parser reads as text the same.
			if _, err := tokens(bytes.NewReader([]byte(s)), partOther); err != nil && errs.CodeOf(err) != "FILE_TOO_LARGE" {
				t.Fatalf("accepted as a sheet, refused otherwise: %v", err)
			}
		}
	})
}

// chunked reads at most n bytes at a time.
type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.s) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

// The opening "<!--" or "<?" is not the start of its own terminator, however
// the reads split the part (found by FuzzPartReader).
func TestAnUnclosedCommentIsCutShortInReadsOfAnySize(t *testing.T) {
	for _, s := range []string{"0<x><!--></x>", "0<x><?></x>", "<x><!---></x>"} {
		for step := 1; step <= len(s); step++ {
			if _, err := tokens(&chunked{s: s, n: step}, partSheet); errs.CodeOf(err) != "UNREADABLE_FILE" {
				t.Errorf("%q in reads of %d: %v; want UNREADABLE_FILE", s, step, err)
			}
		}
	}
}

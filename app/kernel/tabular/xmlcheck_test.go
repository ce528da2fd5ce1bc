package tabular

import (
	"bytes"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
)

func TestCheckXMLFindsWhatExcelizeWouldSwallow(t *testing.T) {
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
		{"a DTD", head + `<!DOCTYPE lolz [<!ENTITY lol "lol">]><x/>`, "DTD"},
		{"Windows-1252 text", head + "<x><t>Gr\xfc\xdfe</t></x>", "not UTF-8"},
		{"a part cut short in a tag", head + `<worksheet><sheetData><row r="1"><c`, "cut short"},
		{"a part cut short in text", head + `<worksheet><sheetData><row r="1"><c><v>12`, "cut short"},
		{"a part cut short in a comment", head + `<x><!-- never closed >`, "cut short"},
		{"a part cut short in a character", head + "<x>\xf0\x9f", "character"},
	}
	for _, c := range cases {
		readers := map[string]func(string) io.Reader{
			"whole":       func(s string) io.Reader { return strings.NewReader(s) },
			"byte a read": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		}
		for how, reader := range readers {
			err := checkXML(reader(c.xml), new(atomic.Bool))
			switch {
			case c.fault == "" && err != nil:
				t.Errorf("%s (%s): refused a sound part: %v", c.name, how, err)
			case c.fault != "" && (err == nil || !strings.Contains(err.Error(), c.fault)):
				t.Errorf("%s (%s): got %v, want an error about %q", c.name, how, err, c.fault)
			}
		}
	}
}

func TestCheckXMLStopsWhenAsked(t *testing.T) {
	stop := new(atomic.Bool)
	stop.Store(true)
	endless := io.MultiReader(strings.NewReader("<x>"), bytes.NewReader(bytes.Repeat([]byte("<y/>"), 1<<20)))
	if err := checkXML(endless, stop); err != errStopped {
		t.Fatalf("got %v, want errStopped", err)
	}
}

// The verdict must not depend on where reads split the part.
func FuzzCheckXML(f *testing.F) {
	for _, s := range []string{`<?xml version="1.0"?><x a="&amp;">&#38;<![CDATA[&]]><!--&--></x>`, "<x>&lol;</x>", "<x>\xf0\x9f\x99\x82</x>", "<x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := checkXML(bytes.NewReader(data), new(atomic.Bool))
		split := checkXML(iotest.OneByteReader(bytes.NewReader(data)), new(atomic.Bool))
		if (whole == nil) != (split == nil) {
			t.Fatalf("read whole: %v; a byte a read: %v", whole, split)
		}
	})
}

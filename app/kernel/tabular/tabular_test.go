package tabular

import (
	"strings"
	"testing"
)

func TestSniff(t *testing.T) {
	cases := []struct {
		head []byte
		want string
		code string
	}{
		{[]byte("PK\x03\x04rest"), XLSX, ""},
		{[]byte("\xEF\xBB\xBFsku,gtin\n"), CSV, ""},
		{[]byte("sku;gtin;brand\n"), CSV, ""},
		{[]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1...."), "", "UNSUPPORTED_FILE"},
		{[]byte("%PDF-1.7"), "", "UNSUPPORTED_FILE"},
		{[]byte("\x89PNG\r\n\x1a\n\x00\x00"), "", "UNSUPPORTED_FILE"},
		{[]byte("sku,brand\nCAF\xc9,Caf\xe9\n"), "", "NOT_UTF8"},
		{[]byte("sku,brand\ncaf\xc3\xa9,x\xc3"), CSV, ""}, // cut inside a character at the sniff boundary
	}
	for _, c := range cases {
		got, err := sniff(c.head)
		if c.code != "" {
			if err == nil || !strings.Contains(err.Error(), c.code) {
				t.Errorf("sniff(%q) = %q, %v; want %s", c.head, got, err, c.code)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("sniff(%q) = %q, %v; want %s", c.head, got, err, c.want)
		}
	}
}

func TestDetectDelimiter(t *testing.T) {
	if d := detectDelimiter([]byte("title\nsku;gtin;brand\n\"a,b\";1;2\n")); d != ';' {
		t.Errorf("semicolon file: %q", d)
	}
	if d := detectDelimiter([]byte("sku,gtin,brand\n\"a;b\",1,2\n")); d != ',' {
		t.Errorf("comma file: %q", d)
	}
}

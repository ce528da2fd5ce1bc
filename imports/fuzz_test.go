package imports

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
)

// parseAll runs the reader and validator over a file the way an import
// does, without a database, and checks that every data row came out as
// exactly one product or one list of problems.
func parseAll(t *testing.T, data []byte) {
	path := filepath.Join(t.TempDir(), "upload")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	lim := Limits{MaxFileBytes: 1 << 20, MaxUnzippedBytes: 8 << 20, MaxDataRows: 10_000}
	sh, _, err := tabular.Open(path, lim.file(), "Products")
	if err != nil {
		return
	}
	defer sh.Close()
	p := &parser{sheet: sh, schemes: map[string]bool{"SG-CLS": true}, limits: lim}
	valid, rejected := 0, 0
	for {
		prod, problems, _, ok, err := p.next()
		if err != nil || !ok {
			break
		}
		switch {
		case problems != nil && prod.Hash != "":
			t.Fatalf("row %d is both valid and rejected", prod.Row)
		case problems != nil:
			for _, pr := range problems {
				if pr.Code == "" || pr.Message == "" || pr.Row == 0 {
					t.Fatalf("incomplete row error %+v", pr)
				}
			}
			rejected++
		default:
			if len(prod.GTIN) != 14 || prod.SKU == "" || len(prod.Markets) == 0 {
				t.Fatalf("accepted an incomplete product %+v", prod)
			}
			valid++
		}
	}
	if valid+rejected != p.dataRows {
		t.Fatalf("%d data rows but %d valid + %d rejected", p.dataRows, valid, rejected)
	}
}

func FuzzCSVReader(f *testing.F) {
	for _, name := range []string{"libreoffice-semicolon.csv", "exceljs-bom.csv", "windows-1252.csv"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("sku,gtin,brand,model,category,markets\n\"a\"b,4.006381333931E+12,x,y,smart_plug,UK\n"))
	f.Add([]byte("\xEF\xBB\xBFsku;gtin;brand;model;category;markets;support_end\nA;12345678905;B;M;router;SG;05/06/2028\n"))
	f.Fuzz(func(t *testing.T, data []byte) { parseAll(t, data) })
}

func FuzzXLSXReader(f *testing.F) {
	for _, name := range []string{"libreoffice.xlsx", "exceljs.xlsx"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) { parseAll(t, data) })
}

func FuzzGTIN(f *testing.F) {
	for _, s := range []string{"4006381333931", "4.006381333931E+12", "12345678905", "0", "1e99", "4006381333931.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, e := parseGTIN(s)
		if e == nil && (len(g) != 14 || catalog.GTINCheckDigit(g[:13]) != g[13]) {
			t.Fatalf("parseGTIN(%q) accepted %q", s, g)
		}
	})
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{"2028-06-30", "2028-06", "05/06/2028", "30.06.2028", "47299", "2028-06-30T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, e := parseDate(s)
		if e == nil && d.IsZero() {
			t.Fatalf("parseDate(%q) accepted a zero date", s)
		}
	})
}

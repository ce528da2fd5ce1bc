package cli_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestVerdictsCSVNeutralisesFormulas exports the verdicts of a supplier
// whose name and SKUs start with = + - @: every such cell of the CSV starts
// with the apostrophe that app/tabular.SafeText puts there, so a
// spreadsheet opening the file shows text instead of running a formula.
func TestVerdictsCSVNeutralisesFormulas(t *testing.T) {
	const supplier = `=HYPERLINK("http://evil.example","open")`
	skus := map[string]string{ // sku as written -> its GTIN
		"=1+2":        "4006381333931",
		"+SUM(1;2)":   "5901234123457",
		"-2+3":        "9501101530003",
		"@SUM(A1:A2)": "00012345600012",
	}
	dbtest.Each(t, func(t *testing.T, dsn string, _ *gorm.DB) {
		if r := run(t, dsn, "", "supplier", "add", supplier); r.code != 0 {
			t.Fatalf("supplier add: %+v", r)
		}
		var sheet bytes.Buffer
		cw := csv.NewWriter(&sheet)
		cw.Write([]string{"sku", "gtin", "brand", "model", "category", "markets"})
		for sku, gtin := range skus {
			cw.Write([]string{sku, gtin, "Acme", "M-" + gtin, "smart_plug", "UK"})
		}
		cw.Flush()
		path := filepath.Join(t.TempDir(), "products.csv")
		if err := os.WriteFile(path, sheet.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := run(t, dsn, "", "import", "--supplier", supplier, path); r.code != 0 || !strings.Contains(r.stdout, "created 4,") {
			t.Fatalf("import: %+v", r)
		}

		r := run(t, dsn, "", "verdicts", "--format", "csv", "--market", "UK")
		if r.code != 0 {
			t.Fatalf("verdicts: %+v", r)
		}
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatalf("the output is not CSV: %v\n%s", err, r.stdout)
		}
		if len(rows) != 1+2*len(skus) { // the header, then retail and procurement for each SKU
			t.Fatalf("%d rows:\n%s", len(rows), r.stdout)
		}
		seen := map[string]int{}
		for _, row := range rows[1:] {
			if row[0] != "'"+supplier {
				t.Errorf("supplier cell %q, want %q", row[0], "'"+supplier)
			}
			sku := strings.TrimPrefix(row[1], "'")
			if row[1] != "'"+sku || skus[sku] == "" {
				t.Errorf("sku cell %q is not one of the SKUs with an apostrophe before it", row[1])
			}
			seen[sku]++
			if row[2] != skus[sku] && row[2] != "0"+skus[sku] {
				t.Errorf("gtin cell %q for %s", row[2], sku)
			}
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("cell %q starts a formula", cell)
				}
			}
		}
		for sku := range skus {
			if seen[sku] != 2 {
				t.Errorf("%s is in %d rows, want 2", sku, seen[sku])
			}
		}
	})
}

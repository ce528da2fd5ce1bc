package imports_test

import (
	"encoding/csv"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// oddCells are cell values that trip text-format loaders: tabs and line
// ends (COPY's text format's delimiters), backslashes and \N (its escape
// and its NULL), quotes, and characters outside ASCII.
var oddCells = []string{
	"tab\there", "line one\nline two", `back\slash`, `\N`, `say "hi"`, "Grüße — 東京 🚀", `\.`, "semi;colon,comma",
}

// TestTheCopyPathStoresWhatSQLiteStores: on PostgreSQL the staged rows go
// in by COPY (imports/copy.go), 5,000 rows a COPY; on SQLite by INSERT.
// The same file, with more rows than one COPY and odd cells in free text
// and in an unknown column, must be stored identically on both, label
// claims included, and a NUL still rejects its row on both.
func TestTheCopyPathStoresWhatSQLiteStores(t *testing.T) {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	w.Write([]string{"sku", "gtin", "brand", "model", "name", "category", "markets", "labels", "colour"})
	const plain = 5_100
	for i := range plain {
		labels := ""
		if i%7 == 0 {
			labels = fmt.Sprintf("SG-CLS:CSA/300629/%05d", i)
		}
		w.Write([]string{fmt.Sprintf("P-%05d", i), gtinFor(i), "Acme", fmt.Sprintf("M-%d", i), "Plug", "smart_plug", "UK EU", labels, "white"})
	}
	for i, v := range oddCells {
		w.Write([]string{fmt.Sprintf("ODD-%d", i), gtinFor(plain + i), "Acme", fmt.Sprintf("O-%d", i), v, "smart_plug", "UK", "", v})
	}
	w.Write([]string{"NUL-1", gtinFor(plain + 100), "Acme", "N\x001", "Plug", "smart_plug", "UK", "", "white"})
	w.Flush()

	type stored struct {
		Products [][]string
		Labels   [][]string
	}
	var first *stored
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		e := newEnv(t, db)
		b := e.mustImport(sb.String())
		if b.RowsCreated != plain+len(oddCells) || b.RowsRejected != 1 {
			t.Fatalf("%s", counts(b))
		}
		if codes := e.errorCodes(b.ID); strings.Join(codes["NUL-1"], " ") != "INVALID_CHARACTER" {
			t.Fatalf("the NUL row: %v", codes)
		}
		got := stored{
			Products: rowsOf(t, db, `SELECT sku, gtin, brand, model, match_key, name, category, markets, password_model,
				vuln_report_contact, COALESCE(support_end, ''), statement_of_compliance, ce_marking, hardware_version,
				firmware_version, price, currency, extra, content_hash FROM products ORDER BY sku`),
			Labels: rowsOf(t, db, `SELECT p.sku, l.scheme, l.label_id, l.label_key FROM label_claims l
				JOIN products p ON p.id = l.product_id ORDER BY p.sku, l.label_id`),
		}
		if n := len(got.Labels); n != (plain+6)/7 {
			t.Fatalf("%d label claims, want %d", n, (plain+6)/7)
		}
		bySKU := map[string][]string{}
		for _, r := range got.Products {
			bySKU[r[0]] = r
		}
		for i, v := range oddCells {
			row := bySKU[fmt.Sprintf("ODD-%d", i)]
			if row == nil {
				t.Fatalf("ODD-%d was not stored", i)
			}
			if row[5] != v {
				t.Errorf("ODD-%d: name %q, want %q", i, row[5], v)
			}
			if !strings.Contains(row[17], jsonString(v)) {
				t.Errorf("ODD-%d: extra %s does not hold %q", i, row[17], v)
			}
		}
		if first == nil {
			first = &got
			return
		}
		if !reflect.DeepEqual(*first, got) {
			for i := range min(len(first.Products), len(got.Products)) {
				if !reflect.DeepEqual(first.Products[i], got.Products[i]) {
					t.Fatalf("first difference:\nsqlite   %q\npostgres %q", first.Products[i], got.Products[i])
				}
			}
			t.Fatalf("the databases store different rows: %d and %d products, %d and %d labels",
				len(first.Products), len(got.Products), len(first.Labels), len(got.Labels))
		}
	})
}

func rowsOf(t *testing.T, db *gorm.DB, query string) [][]string {
	t.Helper()
	rows, err := db.Raw(query).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonString is v as encoding/json writes it inside extra, without quotes.
func jsonString(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return r.Replace(v)
}

// TestAChangeImportLeavesItsUnchangedRowsUnlocked: PostgreSQL locks every
// row an ON CONFLICT DO UPDATE meets, even one its WHERE then leaves alone,
// and a lock rewrites the row's page. A re-upload that changes one row of
// many must not touch the others: their xmax stays 0.
func TestAChangeImportLeavesItsUnchangedRowsUnlocked(t *testing.T) {
	db := dbtest.Postgres(t)
	e := newEnv(t, db)
	file := func(changed int) string {
		var sb strings.Builder
		sb.WriteString("sku,gtin,brand,model,category,markets,price\n")
		for i := range 50 {
			price := "19.99"
			if i == changed {
				price = "24.99"
			}
			fmt.Fprintf(&sb, "P-%02d,%s,Acme,M-%d,smart_plug,UK,%s\n", i, gtinFor(i), i, price)
		}
		return sb.String()
	}
	e.mustImport(file(-1))
	b := e.mustImport(file(7))
	if b.RowsUpdated != 1 || b.RowsUnchanged != 49 {
		t.Fatalf("%s", counts(b))
	}
	locked := rowsOf(t, db, `SELECT sku FROM products WHERE xmax::text <> '0' AND sku <> 'P-07' ORDER BY sku`)
	if len(locked) > 0 {
		t.Fatalf("the change import locked %d unchanged rows: %v", len(locked), locked)
	}
}

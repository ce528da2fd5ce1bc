package verdicts_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/recalls/*.golden from what the code computes")

// recallSample writes a shipped sample recall list (edited by edit, if
// given) to a file and returns its path and format.
func recallSample(t *testing.T, list string, edit func([]byte) []byte) (string, string) {
	t.Helper()
	for _, s := range registry.RecallSamples() {
		if s.List != list {
			continue
		}
		data := s.Data
		if edit != nil {
			data = edit(data)
		}
		path := filepath.Join(t.TempDir(), s.File)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path, s.Format
	}
	t.Fatalf("no sample recall list %s", list)
	return "", ""
}

func importRecalls(t *testing.T, svc *verdicts.Service, list string, edit func([]byte) []byte) verdicts.SnapshotChange {
	t.Helper()
	path, format := recallSample(t, list, edit)
	ch, err := svc.ImportSnapshot(admin, verdicts.SnapshotFile{Scheme: list, Path: path, Format: format, Sample: true})
	if err != nil {
		t.Fatalf("import %s: %v", list, err)
	}
	if ch.Pending != nil {
		t.Fatalf("import %s: verdicts not recomputed: %v", list, ch.Pending)
	}
	return ch
}

// recallVerdicts renders every verdict of the recall fixture's products with
// the recalls its evidence names, one line each, sorted.
func recallVerdicts(t *testing.T, db *gorm.DB, svc *verdicts.Service) string {
	t.Helper()
	var products []struct {
		ID  int64
		SKU string `gorm:"column:sku"`
	}
	db.Table("products").Where("sku LIKE ?", "RC-%").Order("sku").Find(&products)
	var lines []string
	for _, p := range products {
		stored, err := svc.ProductVerdicts(admin, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range stored {
			var reasons []policy.Reason
			var ev policy.Evidence
			if err := json.Unmarshal(v.Reasons, &reasons); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(v.Evidence, &ev); err != nil {
				t.Fatal(err)
			}
			line := fmt.Sprintf("%s %s %s %s", p.SKU, v.Market, v.Channel, v.Verdict)
			for _, r := range reasons {
				for _, c := range r.Recalls {
					line += fmt.Sprintf(" %s(%s)=%s", r.Code, r.Severity, c.Ref())
				}
			}
			for _, c := range ev.Recalls {
				line += fmt.Sprintf(" | %s %s %s %s %q %s", c.Ref(), c.Date, c.Match, strings.Join(c.Markets, "+"), c.Hazard, c.URL)
			}
			lines = append(lines, line)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "recalls", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-golden to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

// TestRecallListsMatchProductsAsTheGoldenFilesSay covers SPEC §3's recall
// matching on the shipped sample lists: GTIN and model agree (RC-1,
// RECALLED in US only, both channels), a GTIN listed for another model
// (RC-2, POSSIBLE_RECALL), brand and model without the GTIN (RC-3,
// POSSIBLE_RECALL), a recall in a market the product is not offered in
// (RC-4: the CPSC recall is US, the product UK and EU) beside the canonical
// EU list's recall of it in the EU, and a recall withdrawn in the next
// snapshot (RC-5), which re-evaluates only the product it named.
func TestRecallListsMatchProductsAsTheGoldenFilesSay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		sup, err := vendors.NewStore(db).Create(admin, "Recall Fixture Ltd")
		if err != nil {
			t.Fatal(err)
		}
		svc := verdicts.New(db)
		im := imports.New(db, imports.DefaultLimits)
		im.OnCommit = verdicts.AfterImport
		b, err := im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: "products.csv", Path: filepath.Join("testdata", "recalls", "products.csv")})
		if err != nil || b.RowsRejected != 0 {
			t.Fatalf("import: %v %+v", err, b)
		}

		first := importRecalls(t, svc, "US-CPSC", nil)
		if first.Snapshot.EntryCount != 6 || !first.Snapshot.Sample || first.Snapshot.Added != 6 {
			t.Fatalf("first CPSC snapshot: %+v", first.Snapshot)
		}
		// The first snapshot can affect RC-1 to RC-5 (RC-6 is on no list).
		if first.Stats.Products != 5 {
			t.Errorf("the first snapshot re-evaluated %d products, want the 5 it names", first.Stats.Products)
		}
		importRecalls(t, svc, "EU-SAFETY-GATE", nil)
		golden(t, "first.golden", recallVerdicts(t, db, svc))

		var controlBefore []string
		db.Table("verdicts").Where("product_id IN (SELECT id FROM products WHERE sku = 'RC-6')").Order("id").Pluck("evaluated_at", &controlBefore)

		withdrawn := importRecalls(t, svc, "US-CPSC", func(b []byte) []byte {
			var records []map[string]any
			if err := json.Unmarshal(b, &records); err != nil {
				t.Fatal(err)
			}
			records = slices.DeleteFunc(records, func(r map[string]any) bool { return r["RecallNumber"] == "S27005" })
			out, _ := json.Marshal(records)
			return out
		})
		if d := withdrawn.Snapshot.Diff; !slices.Equal(d.Revoked, []string{"S27005"}) || len(d.Added)+len(d.Changed) != 0 {
			t.Errorf("the diff should list S27005 as withdrawn only: %+v", d)
		}
		if withdrawn.Stats.Products != 1 || withdrawn.Stats.Changed != 2 {
			t.Errorf("withdrawing S27005 re-evaluated %d products with %d changes, want RC-5 alone, both channels: %+v",
				withdrawn.Stats.Products, withdrawn.Stats.Changed, withdrawn.Stats)
		}
		golden(t, "withdrawn.golden", recallVerdicts(t, db, svc))

		var controlAfter []string
		db.Table("verdicts").Where("product_id IN (SELECT id FROM products WHERE sku = 'RC-6')").Order("id").Pluck("evaluated_at", &controlAfter)
		if !slices.Equal(controlBefore, controlAfter) {
			t.Error("a product on no recall list was re-evaluated")
		}
	})
}

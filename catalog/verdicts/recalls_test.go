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
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
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

// eachRecallVerdict calls fn with every stored verdict of the recall
// fixture's products (their SKUs start RC-), its reasons and evidence decoded.
func eachRecallVerdict(t *testing.T, db *gorm.DB, svc *verdicts.Service, fn func(sku string, v verdicts.Stored, reasons []policy.Reason, ev policy.Evidence)) {
	t.Helper()
	var products []struct {
		ID  int64
		SKU string `gorm:"column:sku"`
	}
	if err := db.Table("products").Where("sku LIKE ?", "RC-%").Order("sku").Find(&products).Error; err != nil {
		t.Fatal(err)
	}
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
			fn(p.SKU, v, reasons, ev)
		}
	}
}

// recallVerdicts renders every verdict of the recall fixture's products with
// the recalls its evidence names, one line each, sorted.
func recallVerdicts(t *testing.T, db *gorm.DB, svc *verdicts.Service) string {
	t.Helper()
	var lines []string
	eachRecallVerdict(t, db, svc, func(sku string, v verdicts.Stored, reasons []policy.Reason, ev policy.Evidence) {
		line := fmt.Sprintf("%s %s %s %s", sku, v.Market, v.Channel, v.Verdict)
		for _, r := range reasons {
			for _, c := range r.Recalls {
				line += fmt.Sprintf(" %s(%s)=%s", r.Code, r.Severity, c.Ref())
			}
		}
		for _, c := range ev.Recalls {
			line += fmt.Sprintf(" | %s %s %s %s %q %s", c.Ref(), c.Date, c.Match, strings.Join(c.Markets, "+"), c.Hazard, c.URL)
		}
		lines = append(lines, line)
	})
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

// staleVerdicts renders, for every verdict of the recall fixture's products
// that carries RECALL_LIST_STALE, the lists the reason names and the stale
// lists its evidence records, one line each, sorted.
func staleVerdicts(t *testing.T, db *gorm.DB, svc *verdicts.Service) []string {
	t.Helper()
	var out []string
	eachRecallVerdict(t, db, svc, func(sku string, v verdicts.Stored, reasons []policy.Reason, ev policy.Evidence) {
		var lists []string
		for _, l := range ev.StaleRecallLists {
			lists = append(lists, l.List)
		}
		i := slices.IndexFunc(reasons, func(r policy.Reason) bool { return r.Code == "RECALL_LIST_STALE" })
		switch {
		case i >= 0:
			out = append(out, fmt.Sprintf("%s %s %s %s %v evidence %v", sku, v.Market, v.Channel, reasons[i].Severity, reasons[i].RecallLists, lists))
		case len(lists) > 0:
			t.Errorf("%s %s %s: the evidence names stale lists %v, no reason says so", sku, v.Market, v.Channel, lists)
		}
	})
	slices.Sort(out)
	return out
}

// TestAStaleRecallListIsReportedInItsMarketsUntilRefreshed: a recall list
// whose snapshot is older than its max age (US-CPSC: 14 days) is not
// silently trusted. The nightly run after it turns stale (its verdicts are
// due that day) warns RECALL_LIST_STALE on every verdict in the markets its
// recalls apply to (US), out of scope or not, while the recalls of its last
// good snapshot still block; markets it does not speak for (UK, EU) and a
// list never loaded (EU-SAFETY-GATE) raise nothing. The security facts card
// says the list is behind. A fresh snapshot re-evaluates every product
// (not only those its entries name) and the warning goes; the same list
// once more, fresh, re-evaluates none.
func TestAStaleRecallListIsReportedInItsMarketsUntilRefreshed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		now := time.Now().UTC()
		clock := func() time.Time { return now }
		svc := verdicts.New(db).WithClock(func() time.Time { return clock() })
		sup, err := vendors.NewStore(db).Create(admin, "Recall Fixture Ltd")
		if err != nil {
			t.Fatal(err)
		}
		im := imports.New(db, imports.DefaultLimits)
		im.OnCommit = verdicts.AfterImport
		if b, err := im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: "products.csv", Path: filepath.Join("testdata", "recalls", "products.csv")}); err != nil || b.RowsRejected != 0 {
			t.Fatalf("import: %v %+v", err, b)
		}
		importRecalls(t, svc, "US-CPSC", nil)
		if _, err := svc.Reevaluate(admin, true); err != nil {
			t.Fatal(err)
		}
		if got := staleVerdicts(t, db, svc); len(got) != 0 {
			t.Fatalf("a fresh list is reported stale: %v", got)
		}

		fetched := civil.Of(now)
		clock = func() time.Time { return now.AddDate(0, 0, 15) }
		st, err := svc.Reevaluate(admin, false)
		if err != nil {
			t.Fatal(err)
		}
		if st.Products != 5 {
			t.Errorf("the nightly run the day after the list turned stale evaluated %d products, want the 5 offered in the US", st.Products)
		}
		want := []string{}
		for _, sku := range []string{"RC-1", "RC-2", "RC-3", "RC-5", "RC-6"} {
			for _, ch := range []string{"procurement", "retail"} {
				want = append(want, fmt.Sprintf("%s US %s warn [US-CPSC] evidence [US-CPSC]", sku, ch))
			}
		}
		if got := staleVerdicts(t, db, svc); !slices.Equal(got, want) {
			t.Errorf("stale list reported on:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The last good snapshot's recall still blocks.
		g, err := svc.Gate(admin, verdicts.GateQuery{GTIN: "084123450010", Market: "US", Channel: "retail"})
		if err != nil {
			t.Fatal(err)
		}
		if g.Verdict != policy.Blocked || !slices.ContainsFunc(g.Reasons, func(r policy.Reason) bool { return r.Code == "RECALLED" }) {
			t.Errorf("RC-1 in the US once the list is stale: %+v", g)
		}
		card, err := svc.Facts(admin, "084123450065", "US")
		if err != nil {
			t.Fatal(err)
		}
		wantLine := "none known; the US-CPSC recall list has not been refreshed since " + fetched.String()
		if l := cardLine(card, "recalls"); l != wantLine {
			t.Errorf("the card's recalls line is %q, want %q", l, wantLine)
		}
		if card.Verdict != policy.Allowed {
			t.Errorf("a stale list only warns: RC-6 is %s", card.Verdict)
		}

		fresh := importRecalls(t, svc, "US-CPSC", nil)
		if fresh.Stats.Products != 6 {
			t.Errorf("the snapshot replacing a stale one re-evaluated %d products, want all 6", fresh.Stats.Products)
		}
		if got := staleVerdicts(t, db, svc); len(got) != 0 {
			t.Errorf("still reported stale after a fresh snapshot: %v", got)
		}
		// The same list again, while fresh, changes no entry: no product to re-evaluate.
		if again := importRecalls(t, svc, "US-CPSC", nil); again.Stats.Products != 0 {
			t.Errorf("an unchanged fresh snapshot re-evaluated %d products, want none", again.Stats.Products)
		}
	})
}

func cardLine(c verdicts.Card, key string) string {
	for _, l := range c.Lines {
		if l.Key == key {
			return l.Value
		}
	}
	return ""
}

package web_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// TestSchemeComparisonDownloadsSayWhatTheJSONSays: the CSV and the XLSX hold
// the JSON's figures row for row (a row per scheme, per scheme and
// category, per pair), and the demo catalogue's labels show in them.
func TestSchemeComparisonDownloadsSayWhatTheJSONSays(t *testing.T) {
	url, pw := demoServer(t)
	manager := signedInClient(t, url, "manager@demo.cascade.test", pw["manager@demo.cascade.test"])
	var doc struct {
		Schemes    []map[string]any `json:"schemes"`
		Pairs      []map[string]any `json:"pairs"`
		Categories []map[string]any `json:"categories"`
	}
	if err := json.Unmarshal([]byte(get(t, manager, url+"/api/v1/schemes/comparison")), &doc); err != nil {
		t.Fatal(err)
	}
	raw := map[string][]map[string]any{"schemes": doc.Schemes, "pairs": doc.Pairs, "categories": doc.Categories}
	if len(raw["schemes"]) != 5 || len(raw["pairs"]) != 10 {
		t.Fatalf("5 label schemes and their 10 pairs, no recall list: %d %d", len(raw["schemes"]), len(raw["pairs"]))
	}
	labelled := 0
	for _, s := range raw["schemes"] {
		labelled += int(s["labelled"].(float64))
		if s["tier_basis"] == "" {
			t.Errorf("%v has no tier basis", s["scheme"])
		}
	}
	if labelled == 0 {
		t.Fatal("the demo catalogue claims labels")
	}
	records, err := csv.NewReader(strings.NewReader(get(t, manager, url+"/api/v1/schemes/comparison?format=csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + len(raw["schemes"]) + len(raw["categories"]) + len(raw["pairs"]); len(records) != want {
		t.Fatalf("%d CSV rows, want %d", len(records), want)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	cell := func(v any) string {
		switch v := v.(type) {
		case nil:
			return ""
		case float64:
			return fmt.Sprint(int(v))
		}
		return fmt.Sprint(v)
	}
	for i, s := range raw["schemes"] {
		r := records[1+i]
		for _, f := range []string{"scheme", "labelled", "valid", "suspended", "revoked", "expired", "expiring_90d", "median_remaining_days", "tier_basis"} {
			if r[col[f]] != cell(s[f]) {
				t.Errorf("CSV %s of %v: %q, JSON %q", f, s["scheme"], r[col[f]], cell(s[f]))
			}
		}
	}
	for i, p := range raw["pairs"] {
		r := records[1+len(raw["schemes"])+len(raw["categories"])+i]
		for _, f := range []string{"a", "b", "products", "same_tier", "a_higher", "b_higher", "validity_disagrees"} {
			if r[col[f]] != cell(p[f]) {
				t.Errorf("CSV %s of pair %v/%v: %q, JSON %q", f, p["a"], p["b"], r[col[f]], cell(p[f]))
			}
		}
	}
	resp, err := manager.Get(url + "/api/v1/schemes/comparison?format=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Scheme comparison")
	if len(rows) != len(records) || strings.Join(rows[1], ",") != strings.Join(records[1][:len(rows[1])], ",") {
		t.Errorf("the XLSX differs from the CSV: %d rows, first %v", len(rows), rows[1])
	}
	if basis, _ := f.GetRows("Tier table"); len(basis) != 3 || basis[2][0] != "tier_basis" {
		t.Errorf("the XLSX lacks the tier table's basis: %v", basis)
	}
	if rec := get(t, manager, url+"/api/v1/schemes/comparison?format=json"); !strings.Contains(rec, `"tier_version"`) {
		t.Errorf("no tier version: %s", rec)
	}
}

// TestBrowserSchemeComparisonPage: a category manager opens the comparison
// from the menu at phone and desktop widths and reads its figures, matrix and charts.
func TestBrowserSchemeComparisonPage(t *testing.T) {
	chromium(t)
	url, pw := demoServer(t)
	for _, width := range []int{375, 1440} {
		b := newBrowserOn(t, url, width, 900)
		b.run(
			chromedp.Navigate(b.url+"/login"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), "manager@demo.cascade.test"),
			chromedp.SendKeys(chromedp.ID("password"), pw["manager@demo.cascade.test"]),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("header.top nav")),
		)
		b.clickNav(`header.top nav a[href="/schemes"]`)
		b.run(chromedp.WaitVisible(chromedp.CSS("#scheme-matrix")), chromedp.WaitVisible(chromedp.CSS("figure.chart svg")))
		text := b.text("main")
		for _, want := range []string{"Scheme comparison", "SG-CLS", "DE-BSI", "house equivalence", "same tier", "Per category"} {
			if !strings.Contains(text, want) {
				t.Errorf("at %d px the page lacks %q", width, want)
			}
		}
		if width == 1440 {
			b.screenshot("manager-scheme-comparison")
		} else {
			b.screenshot("manager-scheme-comparison-phone")
		}
	}
}

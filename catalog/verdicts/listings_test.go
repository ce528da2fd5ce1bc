package verdicts_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// TestTheListingFeedCarriesEachProductsSecurityFacts: every row of the
// listing feed carries the facts its card in the market shows (support end,
// password model and the card's words for it, how to report a
// vulnerability, the best tier and each valid label with its scheme level
// and tier, the recalls cited, the baseline law met) and the card's URL,
// alike in JSON, CSV and XLSX; a page of the feed is one query, however
// many rows it holds.
func TestTheListingFeedCarriesEachProductsSecurityFacts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
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
		feed := svc.WithPublicURL("https://cascade.example/")

		var queries atomic.Int64
		if err := db.Callback().Query().After("gorm:query").Register("count_listing_queries", func(*gorm.DB) { queries.Add(1) }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Callback().Query().Remove("count_listing_queries") })
		listed := func(market string) map[string]verdicts.Listing {
			out := map[string]verdicts.Listing{}
			queries.Store(0)
			if err := feed.Listings(admin, market, "retail", func(l verdicts.Listing) error { out[l.SKU] = l; return nil }); err != nil {
				t.Fatal(err)
			}
			if n := queries.Load(); n != 1 {
				t.Errorf("the %s feed (%d rows) took %d queries, want one a page", market, len(out), n)
			}
			return out
		}

		uk := listed("UK")
		cam := uk["ACM-CAM-1"]
		labels, _ := json.Marshal(cam.Labels)
		for what, c := range map[string][2]string{
			"support_end":         {cam.SupportEnd, "2030-06-30"},
			"password_model":      {cam.PasswordModel, "unique_per_device"},
			"passwords":           {cam.Passwords, "Every device has its own password."},
			"vuln_report_contact": {cam.VulnReportContact, "https://acme.example/security"},
			"labels":              {string(labels), `[{"scheme":"DE-BSI","label_id":"BSI-ITSK-2025-0107","level":"","tier":2},{"scheme":"SG-CLS","label_id":"CSA/300629/00042","level":"2","tier":2},{"scheme":"US-CTM","label_id":"US-CTM-2026-000021","level":"","tier":2}]`},
			"baseline_law":        {cam.BaselineLaw, "meets UK Product Security and Telecommunications Infrastructure Act 2022 (SI 2023/1007)"},
			"facts_url":           {cam.FactsURL, "https://cascade.example/facts/04006381333931?market=UK"},
		} {
			if c[0] != c[1] {
				t.Errorf("ACM-CAM-1 UK %s = %q, want %q", what, c[0], c[1])
			}
		}
		if cam.Tier != 2 || len(cam.Recalls) != 0 {
			t.Errorf("ACM-CAM-1 UK: tier %d, recalls %v", cam.Tier, cam.Recalls)
		}
		if _, ok := uk["ACM-BLB-6"]; ok {
			t.Error("a blocked product is in the feed")
		}
		if rtr := uk["ACM-RTR-2"]; rtr.Passwords != "You choose the password when you set it up." || rtr.VulnReportContact != "security@acme.example" {
			t.Errorf("ACM-RTR-2: %+v", rtr)
		}

		us := listed("US")
		possible := us["RC-2"] // its GTIN is listed by a recall of another model: a warning, still listed
		if len(possible.Recalls) != 1 || possible.Recalls[0].Ref() != "US-CPSC:S27002" || possible.Recalls[0].Match != "possible" {
			t.Errorf("RC-2's recalls: %+v", possible.Recalls)
		}
		if possible.Tier != 0 || len(possible.Labels) != 0 || !strings.HasPrefix(possible.BaselineLaw, "meets no U.S. baseline law") {
			t.Errorf("RC-2: %+v", possible)
		}
		if _, ok := us["RC-1"]; ok {
			t.Error("a recalled product is in the feed")
		}

		var buf bytes.Buffer
		if err := feed.WriteListings(admin, &buf, "US", "retail", "csv"); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header := rows[0]
		if want := []string{"password_model", "passwords", "vuln_report_contact", "tier", "labels", "recalls", "baseline_law", "facts_url"}; !slices.Equal(header[len(header)-len(want):], want) {
			t.Errorf("CSV header %v", header)
		}
		col := func(row []string, name string) string { return row[slices.Index(header, name)] }
		var sawCam, sawRecall bool
		for _, r := range rows[1:] {
			switch col(r, "sku") {
			case "ACM-CAM-1":
				sawCam = true
				if got := col(r, "labels"); got != "DE-BSI BSI-ITSK-2025-0107 tier 2; SG-CLS CSA/300629/00042 level 2 tier 2; US-CTM US-CTM-2026-000021 tier 2" {
					t.Errorf("CSV labels %q", got)
				}
				if col(r, "tier") != "2" || col(r, "facts_url") != "https://cascade.example/facts/04006381333931?market=US" {
					t.Errorf("CSV row %v", r)
				}
			case "RC-2":
				sawRecall = true
				if got := col(r, "recalls"); got != "US-CPSC S27002 2026-11-19 possible https://www.cpsc.gov.invalid/Recalls/2027/sample-orbit-home-cameras" {
					t.Errorf("CSV recalls %q", got)
				}
			}
		}
		if !sawCam || !sawRecall {
			t.Errorf("the US CSV lacks ACM-CAM-1 or RC-2: %v", rows)
		}
	})
}

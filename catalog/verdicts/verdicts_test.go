package verdicts_test

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

var admin = access.With(context.Background(), access.System("test"))

// world loads the sample registries and imports the Acme sample sheet.
func world(t *testing.T, db *gorm.DB) (*verdicts.Service, vendors.Supplier) {
	t.Helper()
	reg := registry.NewStore(db)
	for scheme, raw := range registry.Samples() {
		path := filepath.Join(t.TempDir(), scheme+".csv")
		os.WriteFile(path, raw, 0o600)
		entries, err := registry.ReadFile(path, scheme, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Import(admin, registry.NewSnapshot{Scheme: scheme, Source: scheme + ".csv", Sample: true, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	sup, err := vendors.NewStore(db).Create(admin, "Acme Connected Ltd")
	if err != nil {
		t.Fatal(err)
	}
	svc := verdicts.New(db)
	im := imports.New(db, imports.DefaultLimits)
	im.OnCommit = verdicts.AfterImport
	b, err := im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: "acme.csv", Path: filepath.Join("..", "..", "app", "demo", "samples", "acme.csv")})
	if err != nil || b.RowsRejected != 0 || len(b.Warnings) != 0 {
		t.Fatalf("import: %v %+v", err, b)
	}
	return svc, sup
}

func collect(t *testing.T, list func(func(verdicts.Row) error) error) map[string]verdicts.Row {
	t.Helper()
	out := map[string]verdicts.Row{}
	if err := list(func(r verdicts.Row) error {
		out[r.SKU+" "+r.Market+" "+r.Channel] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportedProductsGetStoredVerdictsPerMarketAndChannel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		got := collect(t, func(fn func(verdicts.Row) error) error { return svc.List(admin, verdicts.Filter{}, fn) })
		want := map[string]string{
			"ACM-CAM-1 UK retail":      "allowed ",
			"ACM-CAM-1 US procurement": "allowed ",
			"ACM-CAM-1 SG procurement": "allowed ",
			"ACM-RTR-2 SG retail":      "allowed ",
			"ACM-RTR-2 SG procurement": "allowed ", // KR-CIC Basic counts as tier 3
			"ACM-PLG-3 UK retail":      "blocked LABEL_REVOKED",
			"ACM-SPK-5 UK retail":      "allowed SUPPORT_ENDS_SOON LABEL_AVAILABLE_UNCLAIMED",
			"ACM-SPK-5 UK procurement": "blocked LABEL_REQUIRED SUPPORT_TOO_SHORT SUPPORT_ENDS_SOON LABEL_AVAILABLE_UNCLAIMED",
			"ACM-BLB-6 EU retail":      "blocked NO_CE_MARKING NO_SUPPORT_PERIOD NO_VULN_DISCLOSURE UNIVERSAL_DEFAULT_PASSWORD",
			"ACM-LAP-7 UK retail":      "allowed OUT_OF_SCOPE",
			"ACM-KTL-8 EU procurement": "allowed OUT_OF_SCOPE",
		}
		for k, w := range want {
			r, ok := got[k]
			if !ok {
				t.Errorf("%s: no verdict", k)
				continue
			}
			if g := r.Verdict + " " + strings.Join(r.Codes, " "); g != w {
				t.Errorf("%s: %q, want %q", k, g, w)
			}
		}
		// 7 products: CAM-1 in 5 markets, RTR-2 in 3, PLG-3 2, SPK-5 2, BLB-6 2, LAP-7 1, KTL-8 2 = 17 markets x 2 channels.
		if len(got) != 34 {
			t.Errorf("%d verdicts, want 34", len(got))
		}
	})
}

func TestForecastChangesNothingStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		var before int64
		db.Table("verdict_changes").Count(&before)
		d, _ := civil.Parse("2027-02-01")
		got := collect(t, func(fn func(verdicts.Row) error) error { return svc.Forecast(admin, d, nil, verdicts.Filter{}, fn) })
		if r := got["ACM-SPK-5 US procurement"]; r.Verdict != "blocked" || !slices.Contains(r.Codes, "US_CTM_REQUIRED") {
			t.Errorf("US procurement from 2027-01-04 needs the Cyber Trust Mark: %+v", r)
		}
		if r := got["ACM-SPK-5 UK retail"]; r.Verdict != "blocked" || !slices.Contains(r.Codes, "SUPPORT_ENDED") {
			t.Errorf("support ended on 2027-01-31: %+v", r)
		}
		var after int64
		db.Table("verdict_changes").Count(&after)
		if after != before {
			t.Fatal("a forecast wrote to the change feed")
		}
	})
}

func TestSecondRecomputeWithNothingChangedWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		first, err := svc.Recompute(admin, nil)
		if err != nil {
			t.Fatal(err)
		}
		if first.Verdicts != 34 || first.Written != 0 || first.Changed != 0 {
			t.Fatalf("the import already stored every verdict: %+v", first)
		}
		var at []string
		db.Table("verdicts").Order("id").Pluck("evaluated_at", &at)
		again, err := svc.Recompute(admin, nil)
		if err != nil || again.Written != 0 {
			t.Fatalf("%+v %v", again, err)
		}
		var at2 []string
		db.Table("verdicts").Order("id").Pluck("evaluated_at", &at2)
		if !slices.Equal(at, at2) {
			t.Fatal("unchanged verdicts were rewritten")
		}
	})
}

func TestChangeFeedPublishesFlipsAndWithdrawals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sup := world(t, db)
		initial, err := svc.Changes(admin, 0, 1000)
		if err != nil || len(initial) != 34 {
			t.Fatalf("first verdicts are changes too: %d %v", len(initial), err)
		}
		cursor := initial[len(initial)-1].ID
		// The supplier re-uploads: the camera loses its vulnerability contact and leaves AU.
		uploadAcme(t, db, sup, true, "UK EU SG US AU,unique_per_device,https://acme.example/security", "UK EU SG US,unique_per_device,")
		feed, err := svc.Changes(admin, cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		flips, withdrawn := 0, 0
		for _, c := range feed {
			if c.SKU != "ACM-CAM-1" {
				t.Errorf("unchanged product on the feed: %+v", c)
			}
			switch {
			case c.Verdict == verdicts.Withdrawn && c.Market == "AU":
				withdrawn++
				if len(c.Codes) != 0 {
					t.Errorf("a withdrawal with codes: %+v", c)
				}
			case c.Previous == "allowed" && c.Verdict == "blocked":
				flips++
				// What a listing system reads off the feed: why it delists
				// (every entry's reasons were null until they became codes).
				if !slices.Contains(c.Codes, "NO_VULN_DISCLOSURE") {
					t.Errorf("a flip to blocked without its codes: %+v", c)
				}
			}
		}
		if flips != 8 || withdrawn != 2 {
			t.Fatalf("%d flips (want 8: 4 markets x 2 channels), %d withdrawals (want 2): %+v", flips, withdrawn, feed)
		}
		if g, _ := svc.Gate(admin, verdicts.GateQuery{GTIN: "4006381333931", Market: "UK", Channel: "retail"}); g.Verdict != "blocked" {
			t.Fatalf("gate after the change: %+v", g)
		}
	})
}

func TestGateAnswersFromStoredVerdictsAndFailsClosed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		cases := []struct {
			gtin, market, channel, verdict, code string
		}{
			{"4006381333931", "UK", "retail", "allowed", ""},
			{"04006381333931", "us", "PROCUREMENT", "allowed", ""},
			{"0614141000036", "UK", "retail", "blocked", "LABEL_REVOKED"},
			{"4006381333931", "AU", "retail", "allowed", ""},
			{"9501101530003", "SG", "retail", "blocked", "NOT_OFFERED"}, // the speaker is not offered in SG
			{"4012345000009", "UK", "retail", "blocked", "UNIVERSAL_DEFAULT_PASSWORD"},
			{"5000000000005", "UK", "retail", "blocked", "UNKNOWN_PRODUCT"},
		}
		for _, c := range cases {
			g, err := svc.Gate(admin, verdicts.GateQuery{GTIN: c.gtin, Market: c.market, Channel: c.channel})
			if err != nil {
				t.Fatalf("%s: %v", c.gtin, err)
			}
			codes := []string{}
			for _, r := range g.Reasons {
				codes = append(codes, r.Code)
			}
			if g.Verdict != c.verdict || (c.code != "" && !slices.Contains(codes, c.code)) {
				t.Errorf("%s %s %s: %s %v, want %s with %s", c.gtin, c.market, c.channel, g.Verdict, codes, c.verdict, c.code)
			}
		}
		for _, bad := range [][3]string{{"123", "UK", "retail"}, {"4006381333932", "UK", "retail"}, {"4006381333931", "FR", "retail"}, {"4006381333931", "UK", "wholesale"}} {
			if _, err := svc.Gate(admin, verdicts.GateQuery{GTIN: bad[0], Market: bad[1], Channel: bad[2]}); err == nil {
				t.Errorf("%v accepted", bad)
			}
		}
	})
}

func TestImpactPreviewShowsWhatAFutureDateOrACandidatePolicyWouldFlip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		var before int64
		db.Table("verdicts").Where("verdict = 'blocked'").Count(&before)

		// On 2027-02-01 the speaker's support has ended (2027-01-31) and US procurement needs the Cyber Trust Mark.
		future, _ := civil.Parse("2027-02-01")
		imp, err := svc.Impact(admin, nil, future)
		if err != nil {
			t.Fatal(err)
		}
		flipped := map[string]string{}
		for _, f := range imp.Flips {
			flipped[f.SKU+" "+f.Market+" "+f.Channel] = f.From + ">" + f.To + " " + strings.Join(f.Codes, " ")
		}
		if got := flipped["ACM-SPK-5 UK retail"]; got != "allowed>blocked SUPPORT_ENDED" {
			t.Errorf("speaker UK retail: %q (%v)", got, flipped)
		}
		if got := flipped["ACM-CAM-1 US procurement"]; got != "" {
			t.Errorf("the camera carries the Cyber Trust Mark, yet flips: %q", got)
		}

		// A candidate policy that drops procurement's label and 24-month rules.
		_, doc, err := svc.Policies().Active(admin)
		if err != nil {
			t.Fatal(err)
		}
		off := false
		candidate := *doc
		candidate.Version = "candidate"
		candidate.Rules = slices.Clone(doc.Rules)
		for i, r := range candidate.Rules {
			if (r.Code == "LABEL_REQUIRED" && slices.Contains(r.Channels, "procurement")) || r.Code == "SUPPORT_TOO_SHORT" {
				candidate.Rules[i].Enabled = &off
			}
		}
		imp, err = svc.Impact(admin, &candidate, civil.Date{})
		if err != nil {
			t.Fatal(err)
		}
		toAllowed := 0
		for _, c := range imp.Counts {
			toAllowed += c.ToAllowed
			if c.ToBlocked != 0 {
				t.Errorf("relaxing a rule blocked something: %+v", c)
			}
		}
		// The speaker in UK and US procurement, blocked only by those two rules.
		if toAllowed != 2 || imp.PolicyVersion != "candidate" {
			t.Fatalf("impact %+v", imp)
		}
		var after int64
		db.Table("verdicts").Where("verdict = 'blocked'").Count(&after)
		if after != before {
			t.Fatal("a preview changed stored verdicts")
		}
		manager := access.With(context.Background(), access.Principal{UserID: 1, Role: access.Buyer})
		if _, err := svc.Impact(manager, nil, future); err == nil {
			t.Fatal("a buyer previewed policy impact")
		}
	})
}

func TestDashboardSumsVerdictsReasonsAndSuppliers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		d, err := svc.Dashboard(admin)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, m := range d.Markets {
			total += m.Allowed + m.Blocked
		}
		// 17 market x channel pairs; 7 products, each with a retail verdict.
		if total != 34 || len(d.Suppliers) != 1 || d.Suppliers[0].Allowed != 5 || d.Suppliers[0].Blocked != 2 {
			t.Fatalf("markets %+v suppliers %+v", d.Markets, d.Suppliers)
		}
		if len(d.TopReasons) == 0 || d.TopReasons[0].N < d.TopReasons[len(d.TopReasons)-1].N {
			t.Fatalf("reasons %+v", d.TopReasons)
		}
	})
}

// uploadAcme imports the Acme sample sheet, changed by replace, with or
// without the recompute an import runs at its commit.
func uploadAcme(t *testing.T, db *gorm.DB, sup vendors.Supplier, recompute bool, replace ...string) {
	t.Helper()
	if err := importAcme(t, db, sup, recompute, replace...); err != nil {
		t.Fatal(err)
	}
}

// importAcme is uploadAcme for a goroutine: it returns the error.
func importAcme(t *testing.T, db *gorm.DB, sup vendors.Supplier, recompute bool, replace ...string) error {
	raw, err := os.ReadFile(filepath.Join("..", "..", "app", "demo", "samples", "acme.csv"))
	if err != nil {
		return err
	}
	path := filepath.Join(t.TempDir(), "acme.csv")
	if err := os.WriteFile(path, []byte(strings.NewReplacer(replace...).Replace(string(raw))), 0o600); err != nil {
		return err
	}
	im := imports.New(db, imports.DefaultLimits)
	if recompute {
		im.OnCommit = verdicts.AfterImport
	}
	_, err = im.Import(admin, imports.Request{SupplierID: sup.ID, FileName: "acme.csv", Path: path})
	return err
}

// dropsCameraContact is the upload in which the camera loses its
// vulnerability contact: its 10 verdicts (5 markets, 2 channels) flip to blocked.
var dropsCameraContact = []string{"UK EU SG US AU,unique_per_device,https://acme.example/security", "UK EU SG US AU,unique_per_device,"}

// Recomputes that run at once (the nightly job, an admin's button, a
// registry refresh) each see the same verdicts missing or stale; the change
// feed must still carry each change once, or a retailer's listing sync
// would apply it twice.
func TestConcurrentRecomputesPutEachChangeOnTheFeedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sup := world(t, db)
		// The upload is committed without its own recompute: the camera's
		// verdicts are stale, for whichever recompute comes first.
		uploadAcme(t, db, sup, false, dropsCameraContact...)
		var last int64
		db.Table("verdict_changes").Select("COALESCE(MAX(id), 0)").Scan(&last)

		const runs = 4
		start := make(chan struct{})
		errs := make(chan error, runs)
		written := make(chan int, runs)
		for range runs {
			go func() {
				<-start
				st, err := svc.Recompute(admin, nil)
				errs <- err
				written <- st.Changed
			}()
		}
		close(start)
		total := 0
		for range runs {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			total += <-written
		}

		var feed []struct {
			Market, Channel, Previous, Verdict string
		}
		db.Table("verdict_changes").Where("id > ?", last).Order("market, channel").Scan(&feed)
		// The camera is sold in 5 markets, in 2 channels: its 10 verdicts flip, once each.
		seen := map[string]bool{}
		for _, c := range feed {
			if seen[c.Market+c.Channel] || c.Previous != "allowed" || c.Verdict != "blocked" {
				t.Errorf("on the feed: %+v", c)
			}
			seen[c.Market+c.Channel] = true
		}
		if len(feed) != 10 || total != 10 {
			t.Fatalf("%d changes on the feed and %d reported by %d recomputes, want 10 each: %+v", len(feed), total, runs, feed)
		}
	})
}

// A recompute evaluates a page, then waits for the verdicts lock; an import
// that commits meanwhile (with its own recompute) must not be undone by the
// waiting recompute's older evaluation, on the verdicts or on the feed.
func TestARecomputeNeverWritesAStaleEvaluationOverANewerImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sup := world(t, db)
		uploadAcme(t, db, sup, false, dropsCameraContact...) // stale: the recompute below has work
		var last int64
		db.Table("verdict_changes").Select("COALESCE(MAX(id), 0)").Scan(&last)

		// Between the recompute's reading and its writing, the supplier puts
		// the contact back, and that import's commit recomputes the camera.
		svc.BeforeNextWrite(func() { uploadAcme(t, db, sup, true) })
		st, err := svc.Recompute(admin, nil)
		if err != nil {
			t.Fatal(err)
		}
		if g, _ := svc.Gate(admin, verdicts.GateQuery{GTIN: "4006381333931", Market: "UK", Channel: "retail"}); g.Verdict != "allowed" {
			t.Errorf("the camera has its contact back, but the gate says %+v", g)
		}
		var feed []struct{ Market, Channel, Previous, Verdict string }
		db.Table("verdict_changes").Where("id > ?", last).Scan(&feed)
		if len(feed) != 0 || st.Changed != 0 {
			t.Fatalf("the verdicts the import stored were already current, yet %d changes were reported and the feed got %+v", st.Changed, feed)
		}
	})
}

// A registry snapshot that arrives while a recompute runs brings its own
// recompute; the older one must not write its verdicts, made with the
// previous snapshot, over that one's.
func TestARecomputeNeverWritesOverVerdictsOfANewerRegistrySnapshot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, sup := world(t, db)
		uploadAcme(t, db, sup, false, dropsCameraContact...) // stale: the recompute below has work

		// Between the recompute's reading and its writing, Singapore revokes
		// the router's label, and the refresh recomputes every verdict.
		var last int64
		svc.BeforeNextWrite(func() {
			sg := strings.Replace(string(registry.Samples()["SG-CLS"]), "2024-12-31,2027-12-31,valid", "2024-12-31,2027-12-31,revoked", 1)
			path := filepath.Join(t.TempDir(), "SG-CLS.csv")
			os.WriteFile(path, []byte(sg), 0o600)
			entries, err := registry.ReadFile(path, "SG-CLS", nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := registry.NewStore(db).Import(admin, registry.NewSnapshot{Scheme: "SG-CLS", Source: "SG-CLS.csv", Entries: entries}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Recompute(admin, nil); err != nil {
				t.Fatal(err)
			}
			db.Table("verdict_changes").Select("MAX(id)").Scan(&last)
		})
		if _, err := svc.Recompute(admin, nil); err != nil {
			t.Fatal(err)
		}
		if last == 0 {
			t.Fatal("the snapshot did not arrive between the reading and the writing")
		}
		if g, _ := svc.Gate(admin, verdicts.GateQuery{GTIN: "5901234123457", Market: "SG", Channel: "retail"}); g.Verdict != "blocked" {
			t.Errorf("the router's label is revoked, yet the gate says %+v", g)
		}
		var feed []struct{ Market, Channel, Previous, Verdict string }
		db.Table("verdict_changes").Where("id > ?", last).Scan(&feed)
		if len(feed) != 0 {
			t.Fatalf("the newer recompute's verdicts were current, yet the feed got %+v", feed)
		}
		if again, err := svc.Recompute(admin, nil); err != nil || again.Written != 0 {
			t.Fatalf("the stored verdicts are not those of the latest snapshot: %+v %v", again, err)
		}
	})
}

// A first evaluation's feed is copied from the verdicts it stored
// (feedFromVerdicts): its entries must come in the order the verdicts were
// written, product by product and each product's markets and channels as
// evaluated, the order a listing system polling the feed sees them in.
func TestFirstVerdictsReachTheFeedInTheOrderTheyWereStored(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		world(t, db)
		type entry struct {
			ProductID       int64
			Market, Channel string
		}
		var stored, fed []entry
		db.Table("verdicts").Select("product_id, market, channel").Order("id").Scan(&stored)
		db.Table("verdict_changes").Select("product_id, market, channel").Order("id").Scan(&fed)
		if len(stored) != 34 || !slices.Equal(stored, fed) {
			t.Fatalf("feed %v\nwant the verdicts' order %v", fed, stored)
		}
		if !slices.IsSortedFunc(fed, func(a, b entry) int { return cmp.Compare(a.ProductID, b.ProductID) }) {
			t.Fatalf("feed not in product order: %v", fed)
		}
	})
}

// A recompute of some products reads their stored verdicts and labels by id
// range when the ids are dense: the products between them, not asked for,
// must be neither withdrawn nor lent their labels.
func TestARecomputeOfSomeProductsLeavesTheProductsBetweenThemAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		svc, _ := world(t, db)
		var ids []int64
		db.Table("products").Order("id").Pluck("id", &ids)
		if len(ids) < 3 {
			t.Fatalf("the sample has %d products", len(ids))
		}
		// The middle product (the router, with labels) has verdicts a
		// recompute of it would rewrite.
		between := ids[1]
		if err := db.Exec("UPDATE verdicts SET content_hash = 'stale' WHERE product_id = ?", between).Error; err != nil {
			t.Fatal(err)
		}
		var cursor int64
		db.Raw("SELECT COALESCE(MAX(id), 0) FROM verdict_changes").Scan(&cursor)
		st, err := svc.Recompute(admin, []int64{ids[0], ids[2]})
		if err != nil {
			t.Fatal(err)
		}
		if st.Written != 0 || st.Changed != 0 || st.Withdrawn != 0 {
			t.Fatalf("the products asked for were up to date: %+v", st)
		}
		var stale, feed int64
		db.Raw("SELECT COUNT(*) FROM verdicts WHERE product_id = ? AND content_hash = 'stale'", between).Scan(&stale)
		db.Raw("SELECT COUNT(*) FROM verdict_changes WHERE id > ?", cursor).Scan(&feed)
		if stale != 6 || feed != 0 {
			t.Fatalf("the product between was touched: %d of its 6 verdicts left as they were, %d feed entries", stale, feed)
		}
	})
}

package policy_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// aheadPolicy is the default policy with the dated kinds it lacks: a label
// expiring soon (block, months window), a rule that ends, a tier that
// takes effect later.
func aheadPolicy(t testing.TB) *policy.Document {
	doc := defaultPolicy(t)
	until, from := date("2027-03-31"), date("2027-09-15")
	doc.Rules = append(doc.Rules,
		policy.Rule{Code: "LABEL_EXPIRES_SOON", Kind: policy.KindLabelStatus, Status: "expires_soon", Window: &policy.Window{Months: 3},
			Channels: []string{"procurement"}, Severity: policy.Block, Message: "m", Fix: "f", Basis: "b"},
		policy.Rule{Code: "TRANSITIONAL_NOTICE", Kind: policy.KindRequiredField, Field: "ce_marking", EffectiveUntil: &until,
			Severity: policy.Block, Message: "m", Fix: "f", Basis: "b"},
		policy.Rule{Code: "DECLARED_SUPPORT_ENDED", Kind: policy.KindDateBefore, Field: "support_end_declared",
			Severity: policy.Block, Message: "m", Fix: "f", Basis: "b"})
	st := doc.Tiers.Schemes["US-CTM"]
	st.EffectiveFrom = &from
	doc.Tiers.Schemes["US-CTM"] = st
	return doc
}

// same is whether two verdicts say the same: what a stored verdict's
// fingerprint covers (verdict, reasons, label evidence), not the date.
func same(a, b policy.Verdict) bool {
	return a.Verdict == b.Verdict && reflect.DeepEqual(a.Reasons, b.Reasons) && reflect.DeepEqual(a.Evidence.Labels, b.Evidence.Labels)
}

// Property: evaluated every day after as-of with the same inputs (the
// registries ageing), a verdict says exactly what it said on as-of until its
// NextCheck; with the registries as they are, it turns blocked first on
// BlocksOn, with BlockCodes, and with no BlocksOn it is never blocked in the
// days checked.
func TestAVerdictOnlyChangesOnTheDatesItsOutlookNames(t *testing.T) {
	doc := aheadPolicy(t)
	doc.OutlookDays = 1300 // every day checked is within the outlook
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	var allLabels []catalog.LabelClaim
	for scheme, entries := range registries {
		for _, e := range entries {
			allLabels = append(allLabels, claim(scheme, e.LabelID))
		}
	}
	models := []string{"AC-CAM-1", "AC-RTR-1", "AC-LOCK-1", "AC-CAM-9X", "OT-1", "AC-PLUG-2", "AC-CAM-7"}
	const days = 1300
	cases := 80
	if testing.Short() {
		cases = 20
	}
	for i := range cases {
		p := catalog.Product{
			Brand: "Acme", Model: pick(models), Category: pick([]string{"smart_camera", "router", "smart_lock", "laptop", "non_connected"}),
			PasswordModel: pick([]string{"unique_per_device", "universal_default"}), VulnReportContact: "https://x.example",
			StatementOfCompliance: pick([]string{"", "included"}), CEMarking: pick([]string{"", "yes"}),
			Markets: catalog.Markets{pick(catalog.MarketCodes), pick(catalog.MarketCodes)}, Disputed: rng.IntN(20) == 0,
		}
		slices.Sort(p.Markets)
		p.Markets = slices.Compact(p.Markets)
		p.MatchKey = catalog.MatchKey(p.Brand, p.Model)
		asOf := today.AddDays(rng.IntN(900) - 700)
		if rng.IntN(6) > 0 {
			p.SupportEnd = asOf.AddDays(rng.IntN(1200) - 100)
		}
		if rng.IntN(4) == 0 {
			p.SupportEndDeclared = asOf.AddDays(rng.IntN(1200) - 100)
		}
		for range rng.IntN(3) {
			p.Labels = append(p.Labels, allLabels[rng.IntN(len(allLabels))])
		}
		now := asOf.Time().Add(2*time.Hour + 15*time.Minute)
		v := view(now, map[string]int{"SG-CLS": rng.IntN(60), "DE-BSI": rng.IntN(60), "KR-CIC": rng.IntN(50)}, registries)
		got, outlooks := doc.EvaluateAhead(&p, asOf, v)
		if want := doc.Evaluate(&p, asOf, v); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: EvaluateAhead's verdicts differ from Evaluate's", i)
		}
		for j, first := range got {
			o := outlooks[j]
			if !o.NextCheck.IsZero() && !o.NextCheck.After(asOf) {
				t.Fatalf("case %d %s/%s: next check %s is not after %s", i, first.Market, first.Channel, o.NextCheck, asOf)
			}
			changed, blocked := false, false
			for d := asOf.AddDays(1); d.Before(asOf.AddDays(days)); d = d.AddDays(1) {
				if w := doc.EvaluateOne(&p, first.Market, first.Channel, d, v.At(d)); !changed && !same(first, w) {
					changed = true
					if o.NextCheck.IsZero() || d.Before(o.NextCheck) {
						t.Fatalf("case %d %s/%s (as of %s, %+v): changed on %s before its next check %s: %v -> %v",
							i, first.Market, first.Channel, asOf, p, d, o.NextCheck, first.Codes(), w.Codes())
					}
				}
				if w := doc.EvaluateOne(&p, first.Market, first.Channel, d, v); first.Verdict == policy.Allowed && !blocked && w.Verdict == policy.Blocked {
					blocked = true
					if o.BlocksOn != d || !slices.Equal(o.BlockCodes, w.BlockingCodes()) {
						t.Fatalf("case %d %s/%s (as of %s): first blocked on %s by %v, the outlook says %s by %v",
							i, first.Market, first.Channel, asOf, d, w.BlockingCodes(), o.BlocksOn, o.BlockCodes)
					}
				}
			}
			if first.Verdict == policy.Allowed && !blocked && !o.BlocksOn.IsZero() && o.BlocksOn.Before(asOf.AddDays(days)) {
				t.Fatalf("case %d %s/%s: outlook says blocked on %s, never blocked", i, first.Market, first.Channel, o.BlocksOn)
			}
			if first.Verdict == policy.Blocked && !o.BlocksOn.IsZero() {
				t.Fatalf("case %d: a blocked verdict has a block date %s", i, o.BlocksOn)
			}
		}
	}
}

func TestTheOutlookNamesTheRuleDates(t *testing.T) {
	doc := defaultPolicy(t)
	doc.OutlookDays = 10000 // the dates years ahead are named too
	cases := []struct {
		name       string
		product    func(p *catalog.Product)
		market, ch string
		next       string
		blocksOn   string
		codes      []string
	}{
		{name: "retail: support ends soon 90 days before the support end", product: func(p *catalog.Product) { p.SupportEnd = date("2030-06-30") },
			market: "UK", ch: "retail", next: "2030-04-02", blocksOn: "2030-07-01", codes: []string{"SUPPORT_ENDED"}},
		{name: "procurement: checked again when the registry turns stale; blocked 24 calendar months before the support end", product: func(p *catalog.Product) {
			p.SupportEnd = date("2030-06-30")
			claims("US-CTM", "CTM-0000042")(p)
		}, market: "UK", ch: "procurement", next: "2026-01-08", blocksOn: "2028-07-01", codes: []string{"SUPPORT_TOO_SHORT"}},
		{name: "retail: the support end blocks", product: func(p *catalog.Product) {
			p.SupportEnd = date("2030-06-30")
			claims("US-CTM", "CTM-0000042")(p)
		}, market: "UK", ch: "retail", next: "2026-01-08", blocksOn: "2030-07-01", codes: []string{"SUPPORT_ENDED"}},
		{name: "retail: a claimed label expiring (a warning) does not block", product: func(p *catalog.Product) {
			claims("DE-BSI", "BSI-ITSK-2025-0107")(p)
			p.SupportEnd = date("2031-01-31")
		}, market: "UK", ch: "retail", next: "2026-01-08", blocksOn: "2031-02-01", codes: []string{"SUPPORT_ENDED"}},
		{name: "no registry dates: the 90-day warning starts first", product: func(p *catalog.Product) { p.SupportEnd = date("2026-06-30") },
			market: "UK", ch: "retail", next: "2026-04-02", blocksOn: "2026-07-01", codes: []string{"SUPPORT_ENDED"}},
		{name: "out of scope: no date changes it", product: func(p *catalog.Product) { p.Category = "laptop" },
			market: "UK", ch: "retail", next: "", blocksOn: ""},
	}
	asOf := date("2025-11-25")
	now := asOf.Time().Add(2 * time.Hour)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := compliant()
			c.product(&p)
			p.Markets = catalog.Markets{c.market}
			// fetched 1 day before as-of, 45 days' max age: stale after 2026-01-08 02:00
			vs, os := doc.EvaluateAhead(&p, asOf, view(now, nil, registries))
			for i, v := range vs {
				if v.Channel != c.ch {
					continue
				}
				o := os[i]
				if o.NextCheck.String() != c.next || o.BlocksOn.String() != c.blocksOn || !slices.Equal(o.BlockCodes, c.codes) {
					t.Fatalf("%s %v: next %s, blocks on %s by %v; want %s, %s by %v", v.Verdict, v.Codes(), o.NextCheck, o.BlocksOn, o.BlockCodes, c.next, c.blocksOn, c.codes)
				}
			}
		})
	}
}

// TestAnOutlookLooksOnlyAsFarAsItsHorizon: with the default outlook of a
// year, a block years ahead is not evaluated now (no block date yet), and
// the verdict asks to be checked again the day that block comes within a
// year; a block within the year is found as before.
func TestAnOutlookLooksOnlyAsFarAsItsHorizon(t *testing.T) {
	doc := defaultPolicy(t)
	asOf := date("2025-11-25")
	now := asOf.Time().Add(2 * time.Hour)
	cases := []struct {
		name       string
		supportEnd string
		next       civil.Date
		blocksOn   string
	}{
		{"support ends in 2030: checked again a year before its first date", "2030-06-30", date("2030-04-02").AddDays(-policy.DefaultOutlookDays), ""},
		{"support ends within the year: blocked the day after", "2026-06-30", date("2026-04-02"), "2026-07-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := compliant()
			p.SupportEnd = date(c.supportEnd)
			p.Markets = catalog.Markets{"UK"}
			vs, os := doc.EvaluateAhead(&p, asOf, view(now, nil, registries))
			for i, v := range vs {
				if v.Channel != "retail" {
					continue
				}
				if o := os[i]; o.NextCheck != c.next || o.BlocksOn.String() != c.blocksOn {
					t.Fatalf("%s %v: next %s, blocks on %s; want %s, %q", v.Verdict, v.Codes(), o.NextCheck, o.BlocksOn, c.next, c.blocksOn)
				}
			}
		})
	}
}

package policy_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
)

func date(s string) civil.Date {
	d, err := civil.Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

var today = date("2026-11-24")

func defaultPolicy(t testing.TB) *policy.Document {
	t.Helper()
	d, err := policy.Parse(policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func entry(id, brand, model, level, status, expires string) registry.Entry {
	e := registry.Entry{LabelID: id, LabelKey: catalog.LabelKey(id), Brand: brand, Model: model, Level: level, Status: status}
	if expires != "" {
		e.Expires = date(expires)
	}
	return e
}

// view builds registries as of now: each scheme's snapshot was fetched ageDays ago.
func view(now time.Time, ageDays map[string]int, entries map[string][]registry.Entry) *registry.View {
	var loaded []registry.Loaded
	for _, scheme := range []string{"SG-CLS", "FI-TRAFICOM", "DE-BSI", "KR-CIC", "US-CTM"} {
		age, ok := ageDays[scheme]
		if !ok {
			age = 1
		}
		snap := &registry.Snapshot{ID: int64(len(loaded) + 1), Scheme: scheme, SHA256: "sha-" + scheme, FetchedAt: now.AddDate(0, 0, -age)}
		loaded = append(loaded, registry.Loaded{Scheme: scheme, MaxAgeDays: 45, Snapshot: snap, Entries: entries[scheme]})
	}
	return registry.NewView(now, loaded)
}

var registries = map[string][]registry.Entry{
	"SG-CLS": {
		entry("CSA/300629/00002", "Acme", "AC-CAM-1", "2", "valid", "2029-06-30"),
		entry("CSA/300629/00001", "Acme", "AC-RTR-1", "1", "valid", "2029-06-30"),
		entry("CSA/300629/00004", "Acme", "AC-CAM-4", "4", "valid", ""),
		entry("CSA/311226/00009", "Acme", "AC-CAM-1", "2", "revoked", "2026-12-31"),
		entry("CSA/311226/00010", "Acme", "AC-CAM-1", "2", "suspended", "2026-12-31"),
		entry("CSA/231126/00011", "Acme", "AC-CAM-1", "3", "valid", "2026-11-23"),  // expired yesterday
		entry("CSA/240227/00012", "Acme", "AC-CAM-1", "3", "valid", "2027-02-21"),  // D + 89
		entry("CSA/250227/00013", "Acme", "AC-CAM-1", "3", "valid", "2027-02-22"),  // D + 90
		entry("CSA/300629/00014", "Other", "OT-1", "3", "valid", "2029-06-30"),     // another model
		entry("CSA/300629/00015", "Acme", "AC-CAM-9", "2", "valid", "2029-06-30"),  // aliases below
		entry("CSA/300629/00016", "Acme", "AC-PLUG-2", "3", "valid", "2029-06-30"), // listed, never claimed
	},
	"FI-TRAFICOM": {entry("FI-2023-017", "Acme", "AC-CAM-1", "", "valid", "")},
	"DE-BSI":      {entry("BSI-ITSK-2025-0107", "Acme", "AC-CAM-1", "", "valid", "2027-10-01"), entry("BSI-ITSK-2025-0200", "Acme", "AC-LOCK-1", "", "valid", "2027-10-01")},
	"KR-CIC": {
		entry("KR-IOT-2025-0001", "Acme", "AC-CAM-1", "Basic", "valid", ""),
		entry("KR-IOT-2025-0002", "Acme", "AC-CAM-1", "Lite", "valid", ""),
	},
	"US-CTM": {entry("CTM-0000042", "Acme", "AC-CAM-1", "", "valid", "")},
}

func init() {
	for i, e := range registries["SG-CLS"] {
		if e.LabelID == "CSA/300629/00015" {
			registries["SG-CLS"][i].Models = "AC CAM 9 PRO; AC-CAM-9X"
		}
	}
}

// compliant is a product every baseline rule accepts.
func compliant() catalog.Product {
	return catalog.Product{
		SKU: "CAM-7", Brand: "Acme", Model: "AC-CAM-7", MatchKey: catalog.MatchKey("Acme", "AC-CAM-7"), // no registry lists it
		Category: "smart_camera", Markets: catalog.Markets{"UK"}, PasswordModel: "unique_per_device",
		VulnReportContact: "https://acme.example/security", SupportEnd: date("2030-06-30"),
		StatementOfCompliance: "included", CEMarking: "yes",
	}
}

func claim(scheme, id string) catalog.LabelClaim {
	return catalog.LabelClaim{Scheme: scheme, LabelID: id, LabelKey: catalog.LabelKey(id)}
}

type golden struct {
	name    string
	product func(p *catalog.Product)
	market  string
	channel string
	asOf    string         // default today
	ages    map[string]int // registry age in days per scheme
	policy  func(d *policy.Document)
	verdict string
	codes   string // every reason code, space-separated, in the verdict's order
}

func TestDefaultPolicyGoldenTable(t *testing.T) {
	dayBefore := func(s string) string { return date(s).AddDays(-1).String() }
	cases := []golden{
		// Baseline, every market.
		{name: "compliant product, retail", verdict: "allowed", codes: ""},
		{name: "no password model", product: func(p *catalog.Product) { p.PasswordModel = "" }, verdict: "blocked", codes: "PASSWORD_MODEL_UNKNOWN"},
		{name: "universal default password", product: func(p *catalog.Product) { p.PasswordModel = "universal_default" }, verdict: "blocked", codes: "UNIVERSAL_DEFAULT_PASSWORD"},
		{name: "user-defined password is fine", product: func(p *catalog.Product) { p.PasswordModel = "user_defined" }, verdict: "allowed"},
		{name: "no vulnerability contact", product: func(p *catalog.Product) { p.VulnReportContact = "" }, verdict: "blocked", codes: "NO_VULN_DISCLOSURE"},
		{name: "no support period", product: func(p *catalog.Product) { p.SupportEnd = civil.Date{} }, verdict: "blocked", codes: "NO_SUPPORT_PERIOD"},
		{name: "support ended yesterday", product: func(p *catalog.Product) { p.SupportEnd = today.AddDays(-1) }, verdict: "blocked", codes: "SUPPORT_ENDED"},
		{name: "support ends today: still supported, ends soon", product: func(p *catalog.Product) { p.SupportEnd = today }, verdict: "allowed", codes: "SUPPORT_ENDS_SOON"},
		{name: "support ends D+89", product: func(p *catalog.Product) { p.SupportEnd = today.AddDays(89) }, verdict: "allowed", codes: "SUPPORT_ENDS_SOON"},
		{name: "support ends D+90", product: func(p *catalog.Product) { p.SupportEnd = today.AddDays(90) }, verdict: "allowed", codes: ""},
		{name: "support shortened since an earlier upload", product: func(p *catalog.Product) { p.SupportEndDeclared = date("2031-01-01") }, verdict: "allowed", codes: "SUPPORT_PERIOD_SHORTENED"},
		{name: "every baseline failure at once", product: func(p *catalog.Product) {
			p.PasswordModel, p.VulnReportContact, p.SupportEnd = "universal_default", "", civil.Date{}
		}, verdict: "blocked", codes: "NO_SUPPORT_PERIOD NO_VULN_DISCLOSURE UNIVERSAL_DEFAULT_PASSWORD"},

		// UK statement of compliance from 2024-04-29.
		{name: "UK statement missing the day before PSTI", product: func(p *catalog.Product) { p.StatementOfCompliance = "" }, asOf: "2024-04-28", verdict: "allowed"},
		{name: "UK statement missing from PSTI day", product: func(p *catalog.Product) { p.StatementOfCompliance = "" }, asOf: "2024-04-29", verdict: "blocked", codes: "NO_STATEMENT_OF_COMPLIANCE"},
		{name: "US needs no statement", product: func(p *catalog.Product) { p.StatementOfCompliance = "" }, market: "US", verdict: "allowed"},
		// AU from 2026-03-04.
		{name: "AU statement missing 2026-03-03", product: func(p *catalog.Product) { p.StatementOfCompliance = "" }, market: "AU", asOf: "2026-03-03", verdict: "allowed"},
		{name: "AU statement missing 2026-03-04", product: func(p *catalog.Product) { p.StatementOfCompliance = "" }, market: "AU", asOf: "2026-03-04", verdict: "blocked", codes: "NO_STATEMENT_OF_COMPLIANCE"},
		// EU CE marking from 2025-08-01.
		{name: "EU without CE 2025-07-31", product: func(p *catalog.Product) { p.CEMarking = "no" }, market: "EU", asOf: "2025-07-31", verdict: "allowed"},
		{name: "EU without CE 2025-08-01", product: func(p *catalog.Product) { p.CEMarking = "no" }, market: "EU", asOf: "2025-08-01", verdict: "blocked", codes: "NO_CE_MARKING"},
		{name: "EU with CE marking undeclared", product: func(p *catalog.Product) { p.CEMarking = "" }, market: "EU", verdict: "blocked", codes: "NO_CE_MARKING"},
		{name: "UK needs no CE marking", product: func(p *catalog.Product) { p.CEMarking = "no" }, verdict: "allowed"},

		// Scope.
		{name: "non-connected product is out of scope everywhere", product: func(p *catalog.Product) { p.Category, p.PasswordModel = "non_connected", "" }, market: "SG", channel: "procurement", verdict: "allowed", codes: "OUT_OF_SCOPE"},
		{name: "UK excludes laptops", product: func(p *catalog.Product) { p.Category, p.PasswordModel = "laptop", "universal_default" }, verdict: "allowed", codes: "OUT_OF_SCOPE"},
		{name: "UK does not exclude smartphones", product: func(p *catalog.Product) { p.Category, p.PasswordModel = "smartphone", "universal_default" }, verdict: "blocked", codes: "UNIVERSAL_DEFAULT_PASSWORD"},
		{name: "AU excludes smartphones", product: func(p *catalog.Product) { p.Category, p.PasswordModel = "smartphone", "universal_default" }, market: "AU", verdict: "allowed", codes: "OUT_OF_SCOPE"},
		{name: "EU excludes medical devices", product: func(p *catalog.Product) { p.Category, p.CEMarking = "medical_device", "" }, market: "EU", channel: "procurement", verdict: "allowed", codes: "OUT_OF_SCOPE"},
		{name: "UK excludes EV chargers", product: func(p *catalog.Product) { p.Category, p.VulnReportContact = "ev_charger", "" }, verdict: "allowed", codes: "OUT_OF_SCOPE"},

		// Singapore routers need SG-CLS level 1.
		{name: "SG router without a label, though the registry lists one", product: router(nil), market: "SG", verdict: "blocked", codes: "LABEL_REQUIRED LABEL_AVAILABLE_UNCLAIMED"},
		{name: "SG router with CLS level 1", product: router([]catalog.LabelClaim{claim("SG-CLS", "CSA/300629/00001")}), market: "SG", verdict: "allowed"},
		{name: "SG router with a German label only", product: router([]catalog.LabelClaim{claim("DE-BSI", "BSI-ITSK-2025-0107")}), market: "SG", verdict: "blocked", codes: "LABEL_MODEL_MISMATCH LABEL_REQUIRED"},
		{name: "SG camera needs no label", market: "SG", verdict: "allowed"},
		{name: "UK router needs no label", product: router(nil), verdict: "allowed", codes: "LABEL_AVAILABLE_UNCLAIMED"},

		// Procurement: label tier 2 and 24 months of support.
		{name: "procurement without a label", channel: "procurement", verdict: "blocked", codes: "LABEL_REQUIRED"},
		{name: "procurement with CLS level 2", product: claims("SG-CLS", "CSA/300629/00002"), channel: "procurement", verdict: "allowed"},
		{name: "procurement with CLS level 1: tier too low", product: func(p *catalog.Product) {
			p.Model, p.MatchKey, p.Labels = "AC-RTR-1", catalog.MatchKey("Acme", "AC-RTR-1"), []catalog.LabelClaim{claim("SG-CLS", "CSA/300629/00001")}
		}, channel: "procurement", verdict: "blocked", codes: "LABEL_TIER_TOO_LOW"},
		{name: "procurement includes the retail baseline", product: func(p *catalog.Product) {
			claims("SG-CLS", "CSA/300629/00002")(p)
			p.PasswordModel = "universal_default"
		}, channel: "procurement", verdict: "blocked", codes: "UNIVERSAL_DEFAULT_PASSWORD"},
		{name: "support ends D+24 months-1 day", product: supported(today.AddMonths(24).AddDays(-1)), channel: "procurement", verdict: "blocked", codes: "SUPPORT_TOO_SHORT"},
		{name: "support ends D+24 months", product: supported(today.AddMonths(24)), channel: "procurement", verdict: "allowed"},
		{name: "retail does not need 24 months", product: supported(today.AddMonths(6)), verdict: "allowed"},

		// Mutual recognition.
		{name: "Finnish label counts as tier 3", product: claims("FI-TRAFICOM", "FI-2023-017"), channel: "procurement", verdict: "allowed"},
		{name: "German label counts as tier 2", product: claims("DE-BSI", "BSI-ITSK-2025-0107"), channel: "procurement", verdict: "allowed"},
		{name: "German label not recognised for smart locks", product: func(p *catalog.Product) {
			p.Category, p.Model, p.MatchKey = "smart_lock", "AC-LOCK-1", catalog.MatchKey("Acme", "AC-LOCK-1")
			p.Labels = []catalog.LabelClaim{claim("DE-BSI", "BSI-ITSK-2025-0200")}
		}, channel: "procurement", verdict: "blocked", codes: "LABEL_REQUIRED LABEL_NOT_RECOGNISED"},
		{name: "Korean Basic label from 2025-01-01", product: claims("KR-CIC", "KR-IOT-2025-0001"), channel: "procurement", asOf: "2025-01-01", verdict: "allowed"},
		{name: "Korean Basic label before the MRA took effect", product: claims("KR-CIC", "KR-IOT-2025-0001"), channel: "procurement", asOf: "2024-12-31", verdict: "blocked", codes: "LABEL_REQUIRED LABEL_NOT_RECOGNISED"},
		{name: "Korean Lite label is not recognised", product: claims("KR-CIC", "KR-IOT-2025-0002"), channel: "procurement", verdict: "blocked", codes: "LABEL_REQUIRED LABEL_NOT_RECOGNISED"},
		{name: "US Cyber Trust Mark counts as tier 2", product: claims("US-CTM", "CTM-0000042"), channel: "procurement", verdict: "allowed"},

		// Label claims and registry statuses.
		{name: "label not in the registry", product: claims("SG-CLS", "CSA/000000/99999"), verdict: "blocked", codes: "LABEL_NOT_FOUND"},
		{name: "label id matched ignoring case and spaces", product: claims("SG-CLS", "  csa/300629/00002 "), channel: "procurement", verdict: "allowed"},
		{name: "label of another model", product: claims("SG-CLS", "CSA/300629/00014"), verdict: "blocked", codes: "LABEL_MODEL_MISMATCH"},
		{name: "label covering the model as an alias", product: func(p *catalog.Product) {
			p.Model, p.MatchKey = "AC-CAM-9X", catalog.MatchKey("ACME", "ac cam 9x")
			p.Labels = []catalog.LabelClaim{claim("SG-CLS", "CSA/300629/00015")}
		}, channel: "procurement", verdict: "allowed"},
		{name: "revoked label", product: claims("SG-CLS", "CSA/311226/00009"), verdict: "blocked", codes: "LABEL_REVOKED"},
		{name: "suspended label warns and counts for no tier", product: claims("SG-CLS", "CSA/311226/00010"), channel: "procurement", verdict: "blocked", codes: "LABEL_REQUIRED LABEL_SUSPENDED"},
		{name: "suspended label in retail only warns", product: claims("SG-CLS", "CSA/311226/00010"), verdict: "allowed", codes: "LABEL_SUSPENDED"},
		{name: "label expired yesterday", product: claims("SG-CLS", "CSA/231126/00011"), channel: "procurement", verdict: "blocked", codes: "LABEL_REQUIRED LABEL_EXPIRED"},
		{name: "label expiring today is still valid", product: claims("SG-CLS", "CSA/231126/00011"), asOf: "2026-11-23", channel: "procurement", verdict: "allowed", codes: "LABEL_EXPIRES_SOON"},
		{name: "label expires D+89", product: claims("SG-CLS", "CSA/240227/00012"), channel: "procurement", verdict: "allowed", codes: "LABEL_EXPIRES_SOON"},
		{name: "label expires D+90", product: claims("SG-CLS", "CSA/250227/00013"), channel: "procurement", verdict: "allowed"},
		{name: "two revoked-or-missing labels are one reason each", product: claims("SG-CLS", "CSA/311226/00009", "SG-CLS", "CSA/000000/1", "SG-CLS", "CSA/000000/2"), verdict: "blocked", codes: "LABEL_NOT_FOUND LABEL_REVOKED"},
		{name: "a good label does not excuse a revoked one", product: claims("SG-CLS", "CSA/300629/00002", "SG-CLS", "CSA/311226/00009"), channel: "procurement", verdict: "blocked", codes: "LABEL_REVOKED"},
		{name: "registry 45 days old is fresh", product: claims("SG-CLS", "CSA/300629/00002"), ages: map[string]int{"SG-CLS": 44}, channel: "procurement", verdict: "allowed"},
		{name: "stale registry: labels count for no tier", product: claims("SG-CLS", "CSA/300629/00002"), ages: map[string]int{"SG-CLS": 46}, channel: "procurement", verdict: "blocked", codes: "LABEL_REQUIRED REGISTRY_STALE"},
		{name: "stale registry in retail only warns", product: claims("SG-CLS", "CSA/300629/00002"), ages: map[string]int{"SG-CLS": 46}, verdict: "allowed", codes: "REGISTRY_STALE"},
		{name: "unclaimed label is shown", product: func(p *catalog.Product) {
			p.Model, p.MatchKey = "AC-PLUG-2", catalog.MatchKey("Acme", "AC-PLUG-2")
		}, verdict: "allowed", codes: "LABEL_AVAILABLE_UNCLAIMED"},

		// US federal purchasing: Cyber Trust Mark from 2027-01-04.
		{name: "US procurement 2027-01-03 with a CLS label", product: claims("SG-CLS", "CSA/300629/00002"), market: "US", channel: "procurement", asOf: dayBefore("2027-01-04"), verdict: "allowed"},
		{name: "US procurement 2027-01-04 with a CLS label", product: claims("SG-CLS", "CSA/300629/00002"), market: "US", channel: "procurement", asOf: "2027-01-04", verdict: "blocked", codes: "US_CTM_REQUIRED"},
		{name: "US procurement 2027-01-04 with the mark", product: claims("US-CTM", "CTM-0000042"), market: "US", channel: "procurement", asOf: "2027-01-04", verdict: "allowed"},
		{name: "US rule switched off by an admin", product: claims("SG-CLS", "CSA/300629/00002"), market: "US", channel: "procurement", asOf: "2027-01-04",
			policy: func(d *policy.Document) {
				off := false
				for i := range d.Rules {
					if d.Rules[i].Code == "US_CTM_REQUIRED" {
						d.Rules[i].Enabled = &off
					}
				}
			}, verdict: "allowed"},
		{name: "US retail never needs the mark", market: "US", asOf: "2027-06-01", verdict: "allowed"},
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := defaultPolicy(t)
			if c.policy != nil {
				c.policy(doc)
			}
			p := compliant()
			if c.product != nil {
				c.product(&p)
			}
			market, channel, asOf := c.market, c.channel, today
			if market == "" {
				market = "UK"
			}
			if channel == "" {
				channel = "retail"
			}
			if c.asOf != "" {
				asOf = date(c.asOf)
			}
			v := doc.EvaluateOne(&p, market, channel, asOf, view(now, c.ages, registries))
			if got := strings.Join(v.Codes(), " "); v.Verdict != c.verdict || got != c.codes {
				t.Fatalf("%s %s on %s: %s [%s], want %s [%s]\n%+v", market, channel, asOf, v.Verdict, got, c.verdict, c.codes, v.Reasons)
			}
			for _, r := range v.Reasons {
				if r.Message == "" || r.Fix == "" || r.Severity == "" {
					t.Errorf("reason without message, fix or severity: %+v", r)
				}
			}
			if v.Evidence.PolicyVersion == "" || v.Evidence.AsOf != asOf {
				t.Errorf("evidence %+v", v.Evidence)
			}
		})
	}
}

func router(labels []catalog.LabelClaim) func(*catalog.Product) {
	return func(p *catalog.Product) {
		p.Category, p.Model, p.MatchKey, p.Labels = "router", "AC-RTR-1", catalog.MatchKey("Acme", "AC-RTR-1"), labels
	}
}

// claims makes the product the registries' AC-CAM-1 and claims labels for it.
func claims(pairs ...string) func(*catalog.Product) {
	return func(p *catalog.Product) {
		p.Model, p.MatchKey = "AC-CAM-1", catalog.MatchKey("Acme", "AC-CAM-1")
		for i := 0; i+1 < len(pairs); i += 2 {
			p.Labels = append(p.Labels, claim(pairs[i], pairs[i+1]))
		}
	}
}

func supported(end civil.Date) func(*catalog.Product) {
	return func(p *catalog.Product) {
		p.SupportEnd = end
		p.Model, p.MatchKey = "AC-CAM-1", catalog.MatchKey("Acme", "AC-CAM-1")
		p.Labels = []catalog.LabelClaim{claim("SG-CLS", "CSA/300629/00002")}
	}
}

func TestEvidenceNamesTheRegistryEntryAndSnapshot(t *testing.T) {
	p := compliant()
	claims("DE-BSI", "BSI-ITSK-2025-0107")(&p)
	now := time.Now()
	v := defaultPolicy(t).EvaluateOne(&p, "UK", "procurement", today, view(now, nil, registries))
	var found *policy.LabelEvidence
	for i, l := range v.Evidence.Labels {
		if l.LabelID == "BSI-ITSK-2025-0107" {
			found = &v.Evidence.Labels[i]
		}
	}
	if found == nil || found.Tier != 2 || found.SnapshotSHA256 != "sha-DE-BSI" || found.Entry == nil || found.Entry.Model != "AC-CAM-1" {
		t.Fatalf("evidence %+v", v.Evidence.Labels)
	}
	if v.Evidence.TierVersion == "" {
		t.Fatal("no tier table version")
	}
}

// Property: for random products, dates and registries, a verdict is blocked
// exactly when a blocking reason applies, reasons are a set, and procurement
// blocks at least everything retail blocks in the same market.
func TestNoProductIsEverAllowedWhereABlockingReasonApplies(t *testing.T) {
	doc := defaultPolicy(t)
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	var allLabels []catalog.LabelClaim
	for scheme, entries := range registries {
		for _, e := range entries {
			allLabels = append(allLabels, claim(scheme, e.LabelID))
		}
	}
	allLabels = append(allLabels, claim("SG-CLS", "CSA/000000/00000"), claim("JP-STAR", "X-1"))
	models := []string{"AC-CAM-1", "AC-RTR-1", "AC-LOCK-1", "AC-CAM-9X", "OT-1", "AC-PLUG-2"}
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for i := range 20000 {
		p := catalog.Product{
			Brand: "Acme", Model: pick(models), Category: pick(catalog.Categories),
			PasswordModel: pick(append(slices.Clone(catalog.PasswordModels), "")), VulnReportContact: pick([]string{"", "https://x.example"}),
			StatementOfCompliance: pick([]string{"", "included"}), CEMarking: pick([]string{"", "yes", "no"}),
			Markets: catalog.Markets{pick(catalog.MarketCodes)},
		}
		p.MatchKey = catalog.MatchKey(p.Brand, p.Model)
		if rng.IntN(5) > 0 {
			p.SupportEnd = today.AddDays(rng.IntN(2000) - 300)
		}
		for range rng.IntN(3) {
			p.Labels = append(p.Labels, allLabels[rng.IntN(len(allLabels))])
		}
		asOf := today.AddDays(rng.IntN(1500) - 900)
		ages := map[string]int{"SG-CLS": rng.IntN(60), "DE-BSI": rng.IntN(60)}
		verdicts := doc.Evaluate(&p, asOf, view(now, ages, registries))
		blocking := map[string][]string{}
		for _, v := range verdicts {
			codes := v.Codes()
			seen := map[string]bool{}
			for _, c := range codes {
				if seen[c] {
					t.Fatalf("case %d: code %s twice in %v", i, c, codes)
				}
				seen[c] = true
			}
			if (len(v.BlockingCodes()) > 0) != (v.Verdict == policy.Blocked) {
				t.Fatalf("case %d: %s with blocking codes %v", i, v.Verdict, v.BlockingCodes())
			}
			blocking[v.Channel] = v.BlockingCodes()
		}
		for _, c := range blocking["retail"] {
			if !slices.Contains(blocking["procurement"], c) {
				t.Fatalf("case %d: retail blocks on %s but procurement does not (%v)", i, c, blocking)
			}
		}
	}
}

func TestPolicyDocumentsAreValidated(t *testing.T) {
	cases := map[string]string{
		"unknown field":      `{"version":"x","rules":[],"surprise":1}`,
		"unknown kind":       `{"version":"x","rules":[{"code":"X","kind":"magic","severity":"block","message":"m","fix":"f","basis":"b"}]}`,
		"bad severity":       `{"version":"x","rules":[{"code":"X","kind":"required_field","field":"ce_marking","severity":"fatal","message":"m","fix":"f","basis":"b"}]}`,
		"unknown rule field": `{"version":"x","rules":[{"code":"X","kind":"required_field","field":"colour","severity":"block","message":"m","fix":"f","basis":"b"}]}`,
		"unknown market":     `{"version":"x","rules":[{"code":"X","kind":"required_field","field":"ce_marking","markets":["FR"],"severity":"block","message":"m","fix":"f","basis":"b"}]}`,
		"no basis":           `{"version":"x","rules":[{"code":"X","kind":"required_field","field":"ce_marking","severity":"block","message":"m","fix":"f"}]}`,
		"tier out of range":  `{"version":"x","tiers":{"schemes":{"SG-CLS":{"levels":{"5":5}}}},"rules":[]}`,
		"no version":         `{"rules":[]}`,
		"window missing":     `{"version":"x","rules":[{"code":"X","kind":"date_within","field":"support_end","severity":"warn","message":"m","fix":"f","basis":"b"}]}`,
	}
	for name, doc := range cases {
		if _, err := policy.Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), "INVALID_POLICY") {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}

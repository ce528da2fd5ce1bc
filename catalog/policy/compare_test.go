package policy_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/registry"
)

func claimed(sku, model, category string, labels ...string) *catalog.Product {
	p := &catalog.Product{SKU: sku, Brand: "Acme", Model: model, Category: category, MatchKey: catalog.MatchKey("Acme", model)}
	for _, l := range labels {
		scheme, id, _ := strings.Cut(l, ":")
		p.Labels = append(p.Labels, catalog.LabelClaim{Scheme: scheme, LabelID: id, LabelKey: catalog.LabelKey(id)})
	}
	return p
}

// TestSchemeComparisonMatchesTheHandComputedFixture checks every figure of
// the comparison against the fixture's hand count (D = 2026-11-24):
//
//	P1 camera  SG-CLS L2 valid, expires D+60  | DE-BSI valid (tier 2), D+365       -> same tier
//	P2 camera  SG-CLS L3 valid, D+1096        | DE-BSI suspended                  -> validity disagrees
//	P3 plug    SG-CLS revoked                 | FI-TRAFICOM valid (tier 3), D+181 -> validity disagrees
//	P4 plug    SG-CLS expired                 | FI-TRAFICOM valid, D+365          -> validity disagrees
//	P5 lock    DE-BSI valid, no tier (locks excluded), no expiry | US-CTM valid, D+69 -> in products only
//	P6 camera  SG-CLS: one claim of another model's label, one not found (labelled, nothing else)
//	P7 camera  SG-CLS L4 valid, no expiry     | DE-BSI valid, no expiry           -> SG-CLS higher
//	P8 camera  no label
//
// Medians: SG-CLS of 60 and 1096 is 578; FI-TRAFICOM of 181 and 365 is 273.
func TestSchemeComparisonMatchesTheHandComputedFixture(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	v := view(now, nil, map[string][]registry.Entry{
		"SG-CLS": {
			entry("CSA/1", "Acme", "P1", "2", "valid", "2027-01-23"),
			entry("CSA/2", "Acme", "P2", "3", "valid", "2029-11-24"),
			entry("CSA/3", "Acme", "P3", "1", "revoked", "2028-01-01"),
			entry("CSA/4", "Acme", "P4", "2", "valid", "2026-11-01"),
			entry("CSA/7", "Acme", "P7", "4", "valid", ""),
		},
		"DE-BSI": {
			entry("BSI-1", "Acme", "P1", "", "valid", "2027-11-24"),
			entry("BSI-2", "Acme", "P2", "", "suspended", "2028-01-01"),
			entry("BSI-3", "Acme", "P5", "", "valid", ""),
			entry("BSI-7", "Acme", "P7", "", "valid", ""),
		},
		"FI-TRAFICOM": {
			entry("FI-1", "Acme", "P3", "", "valid", "2027-05-24"),
			entry("FI-2", "Acme", "P4", "", "valid", "2027-11-24"),
		},
		"US-CTM": {entry("CTM-1", "Acme", "P5", "", "valid", "2027-02-01")},
	})
	c := defaultPolicy(t).NewComparer(v, today)
	for _, p := range []*catalog.Product{
		claimed("P1", "P1", "smart_camera", "SG-CLS:CSA/1", "DE-BSI:BSI-1"),
		claimed("P2", "P2", "smart_camera", "SG-CLS:CSA/2", "DE-BSI:BSI-2"),
		claimed("P3", "P3", "smart_plug", "SG-CLS:CSA/3", "FI-TRAFICOM:FI-1"),
		claimed("P4", "P4", "smart_plug", "SG-CLS:CSA/4", "FI-TRAFICOM:FI-2"),
		claimed("P5", "P5", "smart_lock", "DE-BSI:BSI-3", "US-CTM:CTM-1"),
		claimed("P6", "P6", "smart_camera", "SG-CLS:CSA/1", "SG-CLS:CSA/9"),
		claimed("P7", "P7", "smart_camera", "SG-CLS:CSA/7", "DE-BSI:BSI-7"),
		claimed("P8", "P8", "smart_camera"),
	} {
		c.Add(p)
	}
	got := c.Result()
	median := func(m *int) string {
		if m == nil {
			return "-"
		}
		return fmt.Sprint(*m)
	}
	var lines []string
	for _, s := range got.Schemes {
		lines = append(lines, fmt.Sprintf("%s labelled=%d valid=%d suspended=%d revoked=%d expired=%d expiring=%d median=%s",
			s.Scheme, s.Labelled, s.Valid, s.Suspended, s.Revoked, s.Expired, s.Expiring90d, median(s.MedianRemainingDays)))
	}
	for _, p := range got.Pairs {
		lines = append(lines, fmt.Sprintf("%s/%s products=%d same=%d a_higher=%d b_higher=%d validity=%d", p.A, p.B, p.Products, p.SameTier, p.AHigher, p.BHigher, p.ValidityDisagrees))
	}
	for _, s := range got.Categories {
		lines = append(lines, fmt.Sprintf("%s %s labelled=%d valid=%d suspended=%d revoked=%d expired=%d expiring=%d median=%s",
			s.Scheme, s.Category, s.Labelled, s.Valid, s.Suspended, s.Revoked, s.Expired, s.Expiring90d, median(s.MedianRemainingDays)))
	}
	want := []string{
		"DE-BSI labelled=4 valid=3 suspended=1 revoked=0 expired=0 expiring=0 median=365",
		"FI-TRAFICOM labelled=2 valid=2 suspended=0 revoked=0 expired=0 expiring=0 median=273",
		"KR-CIC labelled=0 valid=0 suspended=0 revoked=0 expired=0 expiring=0 median=-",
		"SG-CLS labelled=6 valid=3 suspended=0 revoked=1 expired=1 expiring=1 median=578",
		"US-CTM labelled=1 valid=1 suspended=0 revoked=0 expired=0 expiring=1 median=69",
		"DE-BSI/FI-TRAFICOM products=0 same=0 a_higher=0 b_higher=0 validity=0",
		"DE-BSI/KR-CIC products=0 same=0 a_higher=0 b_higher=0 validity=0",
		"DE-BSI/SG-CLS products=3 same=1 a_higher=0 b_higher=1 validity=1",
		"DE-BSI/US-CTM products=1 same=0 a_higher=0 b_higher=0 validity=0",
		"FI-TRAFICOM/KR-CIC products=0 same=0 a_higher=0 b_higher=0 validity=0",
		"FI-TRAFICOM/SG-CLS products=2 same=0 a_higher=0 b_higher=0 validity=2",
		"FI-TRAFICOM/US-CTM products=0 same=0 a_higher=0 b_higher=0 validity=0",
		"KR-CIC/SG-CLS products=0 same=0 a_higher=0 b_higher=0 validity=0",
		"KR-CIC/US-CTM products=0 same=0 a_higher=0 b_higher=0 validity=0",
		"SG-CLS/US-CTM products=0 same=0 a_higher=0 b_higher=0 validity=0",
		"DE-BSI smart_camera labelled=3 valid=2 suspended=1 revoked=0 expired=0 expiring=0 median=365",
		"DE-BSI smart_lock labelled=1 valid=1 suspended=0 revoked=0 expired=0 expiring=0 median=-",
		"FI-TRAFICOM smart_plug labelled=2 valid=2 suspended=0 revoked=0 expired=0 expiring=0 median=273",
		"SG-CLS smart_camera labelled=4 valid=3 suspended=0 revoked=0 expired=0 expiring=1 median=578",
		"SG-CLS smart_plug labelled=2 valid=0 suspended=0 revoked=1 expired=1 expiring=0 median=-",
		"US-CTM smart_lock labelled=1 valid=1 suspended=0 revoked=0 expired=0 expiring=1 median=69",
	}
	if g, w := strings.Join(lines, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("comparison:\n%s\nwant:\n%s", g, w)
	}
	if got.Schemes[0].TierBasis == "" || !strings.Contains(got.Schemes[4].TierBasis, "house equivalence") || got.TierVersion == "" {
		t.Errorf("the tier table's basis goes beside the figures: %+v", got.Schemes)
	}
}

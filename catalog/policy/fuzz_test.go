package policy

import (
	"fmt"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// FuzzPolicyLoader feeds the policy parser arbitrary documents: it never
// panics, and a document it accepts can evaluate a product without panicking.
func FuzzPolicyLoader(f *testing.F) {
	f.Add(Default())
	f.Add([]byte(`{"version":"x","rules":[{"code":"X","kind":"date_within","field":"support_end","window":{"months":-3},"severity":"block","message":"m","fix":"f","basis":"b"}]}`))
	f.Add([]byte(`{"version":"x","tiers":{"schemes":{"SG-CLS":{"levels":{"1":1}}}},"rules":[{"code":"L","kind":"label_tier","min_tier":1,"severity":"block","message":"m","fix":"f","basis":"b"}]}`))
	p := catalog.Product{Brand: "Acme", Model: "M", MatchKey: "acme|m", Category: "router", Markets: catalog.Markets{"UK", "SG"},
		SupportEnd: civil.Today().AddDays(30), Labels: []catalog.LabelClaim{{Scheme: "SG-CLS", LabelID: "X", LabelKey: "x"}}}
	view := registry.NewView(time.Now(), []registry.Loaded{{Scheme: "SG-CLS", MaxAgeDays: 45, Snapshot: &registry.Snapshot{FetchedAt: time.Now()},
		Entries: []registry.Entry{{LabelID: "X", LabelKey: "x", Brand: "Acme", Model: "M", Level: "1", Status: "valid"}}}})
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := Parse(raw)
		if err != nil {
			return
		}
		for _, v := range doc.Evaluate(&p, civil.Today(), view) {
			if (len(v.BlockingCodes()) > 0) != (v.Verdict == Blocked) {
				t.Fatalf("verdict %s with blocking codes %v", v.Verdict, v.BlockingCodes())
			}
		}
	})
}

// Validation used to accept a window of 2^62 months (date arithmetic on it
// overflows) and a negative part beside a larger positive one. A window is
// a positive span of at most a century in each unit.
func TestAPolicyWindowIsAPositiveSpanOfAtMostACentury(t *testing.T) {
	cases := []struct {
		window string
		ok     bool
	}{
		{`{"days":90}`, true},
		{`{"months":24}`, true},
		{`{"months":1200,"days":36525}`, true},
		{`{"months":1201}`, false},
		{`{"days":36526}`, false},
		{`{"months":4611686018427387904}`, false},
		{`{"months":-3,"days":100}`, false},
		{`{}`, false},
	}
	for _, c := range cases {
		for _, rule := range []string{
			`{"code":"X","kind":"date_within","field":"support_end","window":%s,"severity":"block","message":"m","fix":"f","basis":"b"}`,
			`{"code":"X","kind":"label_status","status":"expires_soon","window":%s,"severity":"warn","message":"m","fix":"f","basis":"b"}`,
		} {
			raw := fmt.Sprintf(`{"version":"x","rules":[`+rule+`]}`, c.window)
			if _, err := Parse([]byte(raw)); (err == nil) != c.ok {
				t.Errorf("window %s in %.40s…: err = %v, want accepted %v", c.window, rule, err, c.ok)
			}
		}
	}
}

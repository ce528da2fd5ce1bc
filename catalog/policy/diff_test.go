package policy_test

import (
	"slices"
	"testing"

	"github.com/cascade-gate/cascade/catalog/policy"
)

func defaultDocument(t *testing.T) *policy.Document {
	t.Helper()
	d, err := policy.Parse(policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// change is a Change without its fields, and the fields it names, for comparing.
type change struct {
	part, key, kind string
	fields          []string
}

func TestDiffComparesTwoPoliciesRuleByRule(t *testing.T) {
	off := false
	cases := []struct {
		name string
		edit func(d *policy.Document)
		want []change
	}{
		{"a new version of the same document differs in nothing", func(d *policy.Document) { d.Version = "2099-01" }, nil},
		{"a rule's severity and message", func(d *policy.Document) {
			d.Rules[0].Severity, d.Rules[0].Message = policy.Warn, "now a warning"
		}, []change{{"rule", "PASSWORD_MODEL_UNKNOWN", policy.Changed, []string{"message", "severity"}}}},
		{"a rule switched off", func(d *policy.Document) { d.Rules[1].Enabled = &off },
			[]change{{"rule", "UNIVERSAL_DEFAULT_PASSWORD", policy.Changed, []string{"enabled"}}}},
		{"the second rule of a code is told apart from the first", func(d *policy.Document) {
			i := slices.IndexFunc(d.Rules, func(r policy.Rule) bool { return r.Code == "LABEL_REQUIRED" })
			d.Rules[i+1].MinTier++
		}, []change{{"rule", "LABEL_REQUIRED #2", policy.Changed, []string{"min_tier"}}}},
		{"a rule removed and one added", func(d *policy.Document) {
			d.Rules = slices.DeleteFunc(d.Rules, func(r policy.Rule) bool { return r.Code == "REGISTRY_STALE" })
			d.Rules = append(d.Rules, policy.Rule{Code: "NEW_RULE", Kind: policy.KindRequiredField, Field: "name", Severity: policy.Block, Message: "m", Fix: "f", Basis: "b"})
		}, []change{{"rule", "REGISTRY_STALE", policy.Removed, nil}, {"rule", "NEW_RULE", policy.Added, []string{"basis", "code", "field", "fix", "kind", "message", "severity"}}}},
		{"a market's exclusions", func(d *policy.Document) {
			m := d.Markets["UK"]
			m.ExcludedCategories = append(m.ExcludedCategories, "toaster")
			d.Markets["UK"] = m
		}, []change{{"market", "UK", policy.Changed, []string{"excluded_categories"}}}},
		{"a scheme's tier", func(d *policy.Document) {
			s := d.Tiers.Schemes["US-CTM"]
			s.Default++
			d.Tiers.Schemes["US-CTM"] = s
		}, []change{{"tier", "US-CTM", policy.Changed, []string{"default"}}}},
		{"the document's name", func(d *policy.Document) { d.Name = "renamed" },
			[]change{{"document", "name", policy.Changed, []string{"name"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, to := defaultDocument(t), defaultDocument(t)
			c.edit(to)
			var got []change
			for _, ch := range policy.Diff(from, to) {
				g := change{part: ch.Part, key: ch.Key, kind: ch.Kind}
				for _, f := range ch.Fields {
					g.fields = append(g.fields, f.Field)
					if ch.Kind == policy.Changed && f.From == f.To {
						t.Errorf("%s %s: field %s listed unchanged", ch.Part, ch.Key, f.Field)
					}
				}
				got = append(got, g)
			}
			if !slices.EqualFunc(got, c.want, func(a, b change) bool {
				return a.part == b.part && a.key == b.key && a.kind == b.kind && slices.Equal(a.fields, b.fields)
			}) {
				t.Errorf("Diff = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestDiffShowsBothSidesOfAChangedField(t *testing.T) {
	from, to := defaultDocument(t), defaultDocument(t)
	to.Rules[0].Severity = policy.Warn
	got := policy.Diff(from, to)
	if len(got) != 1 || got[0].Fields[0] != (policy.FieldChange{Field: "severity", From: `"block"`, To: `"warn"`}) {
		t.Fatalf("Diff = %+v", got)
	}
}

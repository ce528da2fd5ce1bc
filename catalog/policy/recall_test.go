package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// recallList is a loaded recall list fetched ageDays ago (no snapshot when
// ageDays < 0) whose entries apply to markets (one entry a market).
func recallList(now time.Time, code string, ageDays int, markets ...string) registry.Loaded {
	l := registry.Loaded{Scheme: code, Kind: registry.KindRecalls, MaxAgeDays: 14}
	if ageDays < 0 {
		return l
	}
	l.Snapshot = &registry.Snapshot{ID: 90, Scheme: code, SHA256: "sha-" + code, FetchedAt: now.AddDate(0, 0, -ageDays)}
	for i, m := range markets {
		l.Entries = append(l.Entries, registry.Entry{LabelID: code + "-" + m, LabelKey: strings.ToLower(code + "-" + m), Brand: "Nobody",
			Model: "N-" + string(rune('1'+i)), GTINs: "00000000000017", Markets: m, Issued: today})
	}
	return l
}

// TestAStaleRecallListWarnsInTheMarketsItSpeaksFor: RECALL_LIST_STALE (warn)
// names every stale list whose recalls apply to the verdict's market, out of
// scope too; a fresh list, a list never loaded and a list of other markets
// say nothing; a list that names no market speaks for every market (fail
// closed); a rule with a scheme is about that list alone; a forecast judges
// staleness on its own date.
func TestAStaleRecallListWarnsInTheMarketsItSpeaksFor(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		lists    []registry.Loaded
		market   string
		category string
		policy   func(d *policy.Document)
		at       string // judge the registries on this date (View.At), if given
		want     string // the reason codes and, for RECALL_LIST_STALE, the lists it names
	}{
		{name: "fresh list", lists: []registry.Loaded{recallList(now, "US-CPSC", 13, "US")}, market: "US", want: ""},
		{name: "stale list in its market", lists: []registry.Loaded{recallList(now, "US-CPSC", 15, "US")}, market: "US", want: "RECALL_LIST_STALE(warn)=US-CPSC"},
		{name: "stale list of another market", lists: []registry.Loaded{recallList(now, "US-CPSC", 15, "US")}, market: "UK", want: ""},
		{name: "list never loaded", lists: []registry.Loaded{recallList(now, "EU-SAFETY-GATE", -1)}, market: "EU", want: ""},
		{name: "stale empty list speaks for every market", lists: []registry.Loaded{recallList(now, "EU-SAFETY-GATE", 30)}, market: "UK", want: "RECALL_LIST_STALE(warn)=EU-SAFETY-GATE"},
		{name: "a list of several markets", lists: []registry.Loaded{recallList(now, "EU-SAFETY-GATE", 30, "EU", "UK")}, market: "UK", want: "RECALL_LIST_STALE(warn)=EU-SAFETY-GATE"},
		{name: "two stale lists, one reason", lists: []registry.Loaded{recallList(now, "US-CPSC", 15, "US"), recallList(now, "EU-SAFETY-GATE", 30, "US")},
			market: "US", want: "RECALL_LIST_STALE(warn)=EU-SAFETY-GATE,US-CPSC"},
		{name: "out of scope too", lists: []registry.Loaded{recallList(now, "US-CPSC", 15, "US")}, market: "US", category: "non_connected",
			want: "RECALL_LIST_STALE(warn)=US-CPSC OUT_OF_SCOPE(info)"},
		{name: "a rule for one list", lists: []registry.Loaded{recallList(now, "US-CPSC", 15, "US"), recallList(now, "EU-SAFETY-GATE", 30, "US")}, market: "US",
			policy: func(d *policy.Document) { ruleOf(d, "RECALL_LIST_STALE").Scheme = "US-CPSC" }, want: "RECALL_LIST_STALE(warn)=US-CPSC"},
		{name: "a policy may make it block", lists: []registry.Loaded{recallList(now, "US-CPSC", 15, "US")}, market: "US",
			policy: func(d *policy.Document) { ruleOf(d, "RECALL_LIST_STALE").Severity = policy.Block }, want: "RECALL_LIST_STALE(block)=US-CPSC"},
		{name: "fresh today, stale on a later date", lists: []registry.Loaded{recallList(now, "US-CPSC", 1, "US")}, market: "US", at: "2026-12-08",
			want: "RECALL_LIST_STALE(warn)=US-CPSC"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := defaultPolicy(t)
			if c.policy != nil {
				c.policy(d)
			}
			p := compliant()
			p.Markets = []string{c.market}
			if c.category != "" {
				p.Category = c.category
			}
			v := registry.NewView(now, c.lists)
			on := today
			if c.at != "" {
				on = date(c.at)
				v = v.At(on)
			}
			got := d.EvaluateOne(&p, c.market, "retail", on, v)
			var parts []string
			for _, r := range got.Reasons {
				s := r.Code + "(" + r.Severity + ")"
				if len(r.RecallLists) > 0 {
					s += "=" + strings.Join(r.RecallLists, ",")
				}
				parts = append(parts, s)
			}
			if s := strings.Join(parts, " "); s != c.want {
				t.Errorf("reasons %q, want %q", s, c.want)
			}
			var lists []string
			for _, l := range got.Evidence.StaleRecallLists {
				lists = append(lists, l.List)
			}
			if stale := strings.Contains(c.want, "RECALL_LIST_STALE"); stale != (len(lists) > 0) {
				t.Errorf("evidence names stale lists %v; want some: %v", lists, stale)
			}
			if wantBlocked := strings.Contains(c.want, "(block)"); wantBlocked != (got.Verdict == policy.Blocked) {
				t.Errorf("verdict %s", got.Verdict)
			}
		})
	}
}

func ruleOf(d *policy.Document, code string) *policy.Rule {
	for i := range d.Rules {
		if d.Rules[i].Code == code {
			return &d.Rules[i]
		}
	}
	panic("no rule " + code)
}

// TestARecallListTurningStaleIsAVerdictsNextCheck: the outlook of a verdict
// in a market a recall list speaks for names the day the list turns stale,
// so the nightly run evaluates it then, out of scope too; elsewhere the
// list changes no next check.
func TestARecallListTurningStaleIsAVerdictsNextCheck(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	v := registry.NewView(now, []registry.Loaded{recallList(now, "US-CPSC", 4, "US")}) // 14 days' max age: stale from 2026-12-04 10:00
	none := registry.NewView(now, nil)
	d := defaultPolicy(t)
	for _, c := range []struct {
		market, category string
		stale            bool
	}{
		{"US", "smart_camera", true},
		{"US", "non_connected", true},
		{"UK", "smart_camera", false},
	} {
		p := compliant()
		p.Markets, p.Category = []string{c.market}, c.category
		_, with := d.EvaluateAhead(&p, today, v)
		_, without := d.EvaluateAhead(&p, today, none)
		want := without[0].NextCheck.String()
		if c.stale {
			want = "2026-12-04"
		}
		if got := with[0].NextCheck.String(); got != want {
			t.Errorf("%s %s: next check %s, want %s", c.market, c.category, got, want)
		}
	}
}

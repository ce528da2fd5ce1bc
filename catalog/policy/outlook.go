package policy

import (
	"slices"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// Outlook is what a verdict's own inputs say about its future. With the
// product, the policy and the registries unchanged, a verdict can only
// change on a date those inputs name: a support end and the start of each
// window before it, a label's expiry and the start of its window, a rule's
// effective dates, a tier's effective date, a registry or a recall list
// turning stale. So the stored verdict needs looking at again only on
// NextCheck, and whether and when it will turn blocked is known now.
//
// BlocksOn takes the registries as they are now: a registry turning stale
// is a refresh that failed (the operator's alarm, registry.refresh_failed),
// not a block a supplier can be given notice of and act on; with every
// refresh the date would move. NextCheck does count staleness: the day a
// registry turns stale, its verdicts are evaluated again.
type Outlook struct {
	NextCheck  civil.Date // the earliest date after as-of on which it could change; zero: no date can
	BlocksOn   civil.Date // allowed on as-of and blocked from this date on, the registries as they are; zero: no date blocks it
	BlockCodes []string   // the codes of the reasons that block it on BlocksOn
}

// EvaluateAhead is Evaluate together with each verdict's outlook, in the
// same order.
func (d *Document) EvaluateAhead(p *catalog.Product, date civil.Date, v *registry.View) ([]Verdict, []Outlook) {
	a := d.assess(p, date, v) // recalls do not change with the date, only with a snapshot
	n := len(p.Markets) * len(catalog.Channels)
	vs := make([]Verdict, 0, n)
	dates := make([][]civil.Date, 0, n)
	var all []civil.Date
	shared := d.labelDates(p, date, v, a.labels)
	rules := ruleDates{of: make([][]civil.Date, len(d.Rules)), done: make([]bool, len(d.Rules))}
	for _, m := range p.Markets {
		for _, ch := range catalog.Channels {
			vs = append(vs, d.verdict(p, m, ch, date, a))
			ds := d.verdictDates(p, m, ch, date, v, a.labels, shared, &rules)
			dates = append(dates, ds)
			all = append(all, ds...)
		}
	}
	out := make([]Outlook, len(vs))
	pending := 0
	reach := d.outlookDays()
	horizon := date.AddDays(reach)
	for i := range vs {
		if len(dates[i]) > 0 {
			out[i].NextCheck = dates[i][0]
		}
		// A date beyond the horizon is not evaluated now: the verdict is
		// checked again the day that date comes within reach.
		for _, c := range dates[i] {
			if c.After(horizon) {
				if back := c.AddDays(-reach); back.Before(out[i].NextCheck) {
					out[i].NextCheck = back
				}
				break
			}
		}
		if vs[i].Verdict == Allowed && len(dates[i]) > 0 && !dates[i][0].After(horizon) {
			pending++
		}
	}
	// The outcome only changes on candidate dates, so the first candidate
	// on which a verdict is blocked is the day it turns blocked.
	slices.SortFunc(all, civil.Date.Compare)
	all = slices.Compact(all)
	for _, on := range all {
		if pending == 0 || on.After(horizon) {
			break
		}
		later := assessment{labels: d.assessLabels(p, on, v), recalls: a.recalls, staleLists: a.staleLists}
		for i := range vs {
			if vs[i].Verdict != Allowed || len(dates[i]) == 0 || !out[i].BlocksOn.IsZero() || on.After(dates[i][len(dates[i])-1]) {
				continue
			}
			if w := d.verdict(p, vs[i].Market, vs[i].Channel, on, later); w.Verdict == Blocked {
				out[i].BlocksOn, out[i].BlockCodes = on, w.BlockingCodes()
				pending--
			}
		}
	}
	return vs, out
}

// verdictDates lists, sorted and after date, every date on which the
// verdict of p in market and channel could change: the product's label
// dates (every in-scope verdict carries the same label evidence) and the
// dates of the rules whose scope holds it. Out of scope, only the rules
// that apply out of scope too have dates (no date changes scope).
func (d *Document) verdictDates(p *catalog.Product, market, channel string, date civil.Date, v *registry.View, labels []LabelEvidence, shared []civil.Date, rules *ruleDates) []civil.Date {
	scoped := !d.outOfScope(p.Category, market)
	var out []civil.Date
	if scoped {
		out = slices.Clone(shared)
	}
	add := func(c civil.Date) {
		if !c.IsZero() && c.After(date) {
			out = append(out, c)
		}
	}
	for i := range d.Rules {
		r := &d.Rules[i]
		if (!scoped && !r.OutOfScopeToo) || !r.inScope(p.Category, market, channel) {
			continue
		}
		if r.Kind == KindRecallListStale {
			if r.EffectiveFrom != nil {
				add(*r.EffectiveFrom)
			}
			if r.EffectiveUntil != nil {
				add(r.EffectiveUntil.AddDays(1))
			}
			// A recall list the market relies on turns stale from the instant
			// fetched + max age has passed (see labelDates).
			for _, sv := range v.LoadedRecallLists() {
				if sv.SpeaksFor(market) && (r.Scheme == "" || r.Scheme == sv.Code) {
					on := civil.Of(sv.StaleFrom())
					add(on)
					add(on.AddDays(1))
				}
			}
			continue
		}
		if !rules.done[i] {
			rules.of[i], rules.done[i] = r.dates(p, date, labels), true
		}
		out = append(out, rules.of[i]...)
	}
	slices.SortFunc(out, civil.Date.Compare)
	return slices.Compact(out)
}

// ruleDates holds, for one product, the dates each rule names (Rule.dates),
// found the first time a verdict needs them: but for a recall list's
// staleness they do not depend on the market or channel, so they are
// found once a product, not once a verdict (finding a window's first day
// is a loop over days; verdictDates was 14% of an evaluation's CPU).
type ruleDates struct {
	of   [][]civil.Date
	done []bool
}

// dates are the dates after date on which r's outcome for p could change,
// whatever the market: its effective dates and those its check names.
func (r *Rule) dates(p *catalog.Product, date civil.Date, labels []LabelEvidence) []civil.Date {
	var out []civil.Date
	add := func(c civil.Date) {
		if !c.IsZero() && c.After(date) {
			out = append(out, c)
		}
	}
	if r.EffectiveFrom != nil {
		add(*r.EffectiveFrom)
	}
	if r.EffectiveUntil != nil {
		add(r.EffectiveUntil.AddDays(1))
	}
	switch r.Kind {
	case KindDateBefore:
		if f := fieldDate(p, r.Field); !f.IsZero() {
			add(f.AddDays(1))
		}
	case KindDateWithin:
		if f := fieldDate(p, r.Field); !f.IsZero() {
			add(r.Window.firstCovering(f))
			add(f.AddDays(1))
		}
	case KindLabelStatus:
		if r.Status != "expires_soon" {
			break // the other statuses change on the label dates
		}
		for _, l := range labels {
			if l.Claimed && l.Entry != nil && !l.Entry.Expires.IsZero() {
				add(r.Window.firstCovering(l.Entry.Expires))
			}
		}
	}
	return out
}

// labelDates are the dates after date on which the product's label
// evidence could change: a listed label's expiry passing, its scheme's
// tier taking effect, a claimed label's registry turning stale.
func (d *Document) labelDates(p *catalog.Product, date civil.Date, v *registry.View, labels []LabelEvidence) []civil.Date {
	var out []civil.Date
	add := func(c civil.Date) {
		if !c.IsZero() && c.After(date) {
			out = append(out, c)
		}
	}
	for _, l := range labels {
		if l.Entry != nil && !l.Entry.Expires.IsZero() {
			add(l.Entry.Expires.AddDays(1))
		}
		if !l.Claimed {
			continue
		}
		if st, ok := d.Tiers.Schemes[l.Scheme]; ok && st.EffectiveFrom != nil {
			add(*st.EffectiveFrom)
		}
		if v == nil {
			continue
		}
		if _, sv := v.Label(l.Scheme, ""); sv != nil && sv.Snapshot != nil {
			// Stale from the instant fetched + max age has passed: a run
			// later that day sees it, a run the next day surely does.
			on := civil.Of(sv.StaleFrom())
			add(on)
			add(on.AddDays(1))
		}
	}
	return out
}

// firstCovering is the first evaluation date D whose window [D, D+w)
// holds f. D+w never decreases as D grows (months clamp to the month's
// end), so from a first guess the exact day is a few steps away.
func (w *Window) firstCovering(f civil.Date) civil.Date {
	d := f.AddMonths(-w.Months).AddDays(-w.Days)
	for w.after(d.AddDays(-1)).After(f) {
		d = d.AddDays(-1)
	}
	for !w.after(d).After(f) {
		d = d.AddDays(1)
	}
	return d
}

package policy

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// Verdict values.
const (
	Allowed = "allowed"
	Blocked = "blocked"
)

// OutOfScope is the single reason of a product no rule applies to in a market.
const OutOfScope = "OUT_OF_SCOPE"

// Disputed is the reason of an offer whose data another supplier's offer of
// the same GTIN contradicts (SPEC §4). It is not a rule of any law or
// scheme but a question of whose data to trust, so no policy version can
// leave it out: an offer in dispute is blocked everywhere, out of scope or
// not, until a category manager accepts it or an upload makes it agree.
const Disputed = "GTIN_DISPUTED"

// DisputedReason is the reason every verdict of a disputed offer carries.
func DisputedReason() Reason {
	return Reason{Code: Disputed, Severity: Block,
		Message: "Another supplier offers this GTIN with different product data (brand, model or security fields).",
		Fix:     "Correct the row so it matches the product as its manufacturer makes it, or ask the category manager to accept your data."}
}

// Reason is why a verdict is what it is.
type Reason struct {
	Code     string      `json:"code"`
	Severity string      `json:"severity"`
	Field    string      `json:"field,omitempty"`
	Message  string      `json:"message"`
	Fix      string      `json:"fix"`
	Labels   []string    `json:"labels,omitempty"`  // SCHEME:ID of the labels concerned
	Recalls  []RecallRef `json:"recalls,omitempty"` // the recalls concerned
	// RecallLists are the recall lists concerned (a stale list's code).
	RecallLists []string `json:"recall_lists,omitempty"`
}

// LabelEvidence records what the registry said about one label.
type LabelEvidence struct {
	Scheme         string          `json:"scheme"`
	LabelID        string          `json:"label_id"`
	Claimed        bool            `json:"claimed"`
	Status         string          `json:"status"` // valid, not_found, model_mismatch, revoked, suspended, expired
	Tier           int             `json:"tier"`   // 0: counts for no tier
	Stale          bool            `json:"registry_stale,omitempty"`
	NotRecognised  bool            `json:"not_recognised,omitempty"`
	SnapshotID     int64           `json:"snapshot_id,omitempty"`
	SnapshotSHA256 string          `json:"snapshot_sha256,omitempty"`
	FetchedAt      *time.Time      `json:"snapshot_fetched_at,omitempty"`
	Entry          *registry.Entry `json:"entry,omitempty"`
}

// Evidence is what a verdict rested on, kept so it can be retraced later.
type Evidence struct {
	PolicyVersion string           `json:"policy_version"`
	TierVersion   string           `json:"tier_version"`
	AsOf          civil.Date       `json:"as_of"`
	Labels        []LabelEvidence  `json:"labels,omitempty"`
	Recalls       []RecallEvidence `json:"recalls,omitempty"` // the recalls that name the product in this market
	// StaleRecallLists are the recall lists this market relies on whose
	// latest snapshot is stale: no recall they do not name can be ruled out.
	StaleRecallLists []StaleRecallList `json:"stale_recall_lists,omitempty"`
}

// Verdict is the decision for one product in one market and channel.
type Verdict struct {
	Market   string   `json:"market"`
	Channel  string   `json:"channel"`
	Verdict  string   `json:"verdict"`
	Reasons  []Reason `json:"reasons"`
	Evidence Evidence `json:"evidence"`
}

// Codes lists the verdict's reason codes.
func (v Verdict) Codes() []string {
	out := make([]string, len(v.Reasons))
	for i, r := range v.Reasons {
		out[i] = r.Code
	}
	return out
}

// BlockingCodes lists the codes of the reasons that block.
func (v Verdict) BlockingCodes() []string {
	var out []string
	for _, r := range v.Reasons {
		if r.Severity == Block {
			out = append(out, r.Code)
		}
	}
	return out
}

// Evaluate decides p in every market it is offered in and both channels.
func (d *Document) Evaluate(p *catalog.Product, date civil.Date, v *registry.View) []Verdict {
	a := d.assess(p, date, v)
	var out []Verdict
	for _, m := range p.Markets {
		for _, ch := range catalog.Channels {
			out = append(out, d.verdict(p, m, ch, date, a))
		}
	}
	return out
}

// assessment is what the registries say about one product, in every market.
type assessment struct {
	labels     []LabelEvidence
	recalls    []RecallEvidence
	staleLists []StaleRecallList // every stale recall list, whatever its markets
}

func (d *Document) assess(p *catalog.Product, date civil.Date, v *registry.View) assessment {
	return assessment{labels: d.assessLabels(p, date, v), recalls: assessRecalls(p, v), staleLists: assessStaleLists(v)}
}

// EvaluateOne decides p in one market and channel.
func (d *Document) EvaluateOne(p *catalog.Product, market, channel string, date civil.Date, v *registry.View) Verdict {
	return d.verdict(p, market, channel, date, d.assess(p, date, v))
}

func (d *Document) verdict(p *catalog.Product, market, channel string, date civil.Date, a assessment) Verdict {
	out := d.verdictOnOwnData(p, market, channel, date, a)
	if p.Disputed {
		out.Verdict = Blocked
		out.Reasons = mergeReasons(append([]Reason{DisputedReason()}, out.Reasons...))
	}
	return out
}

func (d *Document) verdictOnOwnData(p *catalog.Product, market, channel string, date civil.Date, a assessment) Verdict {
	labels := a.labels
	ev := Evidence{PolicyVersion: d.Version, TierVersion: d.Tiers.Version, AsOf: date, Labels: labels, Recalls: inMarket(a.recalls, market),
		StaleRecallLists: staleIn(a.staleLists, market)}
	out := Verdict{Market: market, Channel: channel, Verdict: Allowed, Evidence: ev}
	scoped := !d.outOfScope(p.Category, market)
	var reasons []Reason
	if !scoped {
		reasons = []Reason{{Code: OutOfScope, Severity: Info,
			Message: "No connected-product rule applies to this category in this market.", Fix: "Nothing to do."}}
		out.Evidence.Labels = nil
	}
	for i := range d.Rules {
		r := &d.Rules[i]
		if (!scoped && !r.OutOfScopeToo) || !r.applies(p.Category, market, channel, date) {
			continue
		}
		switch r.Kind {
		case KindRecall:
			reasons = append(reasons, r.checkRecalls(out.Evidence.Recalls)...)
			continue
		case KindRecallListStale:
			reasons = append(reasons, r.checkStaleLists(out.Evidence.StaleRecallLists)...)
			continue
		}
		reasons = append(reasons, r.check(p, date, labels, d)...)
	}
	out.Reasons = mergeReasons(reasons)
	for _, r := range out.Reasons {
		if r.Severity == Block {
			out.Verdict = Blocked
		}
	}
	return out
}

func (d *Document) outOfScope(category, market string) bool {
	if slices.Contains(d.OutOfScopeCategories, category) {
		return true
	}
	return slices.Contains(d.Markets[market].ExcludedCategories, category)
}

func (r *Rule) applies(category, market, channel string, date civil.Date) bool {
	switch {
	case !r.inScope(category, market, channel):
		return false
	case r.EffectiveFrom != nil && date.Before(*r.EffectiveFrom):
		return false
	case r.EffectiveUntil != nil && date.After(*r.EffectiveUntil):
		return false
	}
	return true
}

// inScope is whether the rule applies on some date: applies without the dates.
func (r *Rule) inScope(category, market, channel string) bool {
	switch {
	case r.Enabled != nil && !*r.Enabled:
		return false
	case len(r.Markets) > 0 && !slices.Contains(r.Markets, market):
		return false
	case len(r.Channels) > 0 && !slices.Contains(r.Channels, channel):
		return false
	case len(r.Categories) > 0 && !slices.Contains(r.Categories, category):
		return false
	case slices.Contains(r.ExceptCategory, category):
		return false
	}
	return true
}

func (r *Rule) reason(code string) Reason {
	return Reason{Code: code, Severity: r.Severity, Field: r.Field, Message: r.Message, Fix: r.Fix}
}

// check runs one rule against a product.
func (r *Rule) check(p *catalog.Product, date civil.Date, labels []LabelEvidence, d *Document) []Reason {
	switch r.Kind {
	case KindRequiredField:
		if fieldText(p, r.Field) == "" {
			return []Reason{r.reason(r.Code)}
		}
	case KindForbiddenValue:
		if v := fieldText(p, r.Field); v != "" && slices.Contains(r.Values, v) {
			return []Reason{r.reason(r.Code)}
		}
	case KindRequiredValue:
		if !slices.Contains(r.Values, fieldText(p, r.Field)) {
			return []Reason{r.reason(r.Code)}
		}
	case KindDateBefore:
		if f := fieldDate(p, r.Field); !f.IsZero() && f.Before(date) {
			return []Reason{r.reason(r.Code)}
		}
	case KindDateWithin:
		if f := fieldDate(p, r.Field); !f.IsZero() && !f.Before(date) && f.Before(r.Window.after(date)) {
			return []Reason{r.reason(r.Code)}
		}
	case KindFieldShortened:
		if f, was := fieldDate(p, r.Field), fieldDate(p, r.DeclaredField); !f.IsZero() && !was.IsZero() && f.Before(was) {
			return []Reason{r.reason(r.Code)}
		}
	case KindLabelTier:
		best, any := 0, false
		for _, l := range labels {
			if !l.Claimed || (r.Scheme != "" && l.Scheme != r.Scheme) {
				continue
			}
			if l.Tier > 0 {
				any = true
				best = max(best, l.Tier)
			}
		}
		switch {
		case !any:
			return []Reason{r.reason(r.Code)}
		case best < r.MinTier && r.LowCode != "":
			return []Reason{r.reason(r.LowCode)}
		case best < r.MinTier:
			return []Reason{r.reason(r.Code)}
		}
	case KindLabelStatus:
		var refs []string
		for _, l := range labels {
			if l.Claimed && r.matchesStatus(l, date) {
				refs = append(refs, l.Scheme+":"+l.LabelID)
			}
		}
		if len(refs) > 0 {
			reason := r.reason(r.Code)
			reason.Field, reason.Labels = "labels", refs
			return []Reason{reason}
		}
	case KindUnclaimed:
		var refs []string
		for _, l := range labels {
			if !l.Claimed {
				refs = append(refs, l.Scheme+":"+l.LabelID)
			}
		}
		if len(refs) > 0 {
			reason := r.reason(r.Code)
			reason.Field, reason.Labels = "labels", refs
			return []Reason{reason}
		}
	}
	return nil
}

func (r *Rule) matchesStatus(l LabelEvidence, date civil.Date) bool {
	switch r.Status {
	case "registry_stale":
		return l.Stale
	case "not_recognised":
		return l.NotRecognised
	case "expires_soon":
		return l.Status == registry.StatusValid && l.Entry != nil && !l.Entry.Expires.IsZero() &&
			!l.Entry.Expires.Before(date) && l.Entry.Expires.Before(r.Window.after(date))
	}
	return l.Status == r.Status
}

// assessLabels matches the product's claimed labels against the registries
// and finds labels registries list for its model that it does not claim.
func (d *Document) assessLabels(p *catalog.Product, date civil.Date, v *registry.View) []LabelEvidence {
	var out []LabelEvidence
	for _, c := range p.Labels {
		ev := LabelEvidence{Scheme: c.Scheme, LabelID: c.LabelID, Claimed: true, Status: "not_found"}
		var entry *registry.Entry
		var sv *registry.SchemeView
		if v != nil {
			entry, sv = v.Label(c.Scheme, c.LabelKey)
		}
		if sv != nil && sv.Snapshot != nil {
			ev.SnapshotID, ev.SnapshotSHA256, ev.Stale = sv.Snapshot.ID, sv.Snapshot.SHA256, sv.Stale
			t := sv.Snapshot.FetchedAt
			ev.FetchedAt = &t
		} else if sv != nil {
			ev.Stale = true // no snapshot was ever loaded: nothing can be verified
		}
		if entry != nil {
			e := *entry
			ev.Entry = &e
			switch {
			case !entry.Covers(p.MatchKey):
				ev.Status = "model_mismatch"
			case entry.Status != registry.StatusValid:
				ev.Status = entry.Status
			case !entry.Expires.IsZero() && entry.Expires.Before(date):
				ev.Status = "expired"
			default:
				ev.Status = registry.StatusValid
			}
		}
		if ev.Status == registry.StatusValid && !ev.Stale {
			ev.Tier, ev.NotRecognised = d.tier(c.Scheme, entry.Level, p.Category, date)
		}
		out = append(out, ev)
	}
	// A model with no claimed label is looked up by brand and model, so the
	// supplier learns of labels it could claim (SPEC §3).
	if v != nil && len(p.Labels) == 0 {
		for _, f := range v.ByModel(p.MatchKey) {
			if f.Entry.Status != registry.StatusValid ||
				(!f.Entry.Expires.IsZero() && f.Entry.Expires.Before(date)) {
				continue
			}
			e := *f.Entry
			t := f.Snapshot.FetchedAt
			out = append(out, LabelEvidence{Scheme: f.Scheme, LabelID: e.LabelID, Status: registry.StatusValid,
				SnapshotID: f.Snapshot.ID, SnapshotSHA256: f.Snapshot.SHA256, FetchedAt: &t, Entry: &e})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Claimed != out[j].Claimed {
			return out[i].Claimed
		}
		return out[i].Scheme+out[i].LabelID < out[j].Scheme+out[j].LabelID
	})
	return out
}

// tier maps a valid label onto the common scale; 0 and notRecognised when
// the tier table does not recognise it for this category on this date.
func (d *Document) tier(scheme, level, category string, date civil.Date) (tier int, notRecognised bool) {
	st, ok := d.Tiers.Schemes[scheme]
	switch {
	case !ok:
		return 0, true
	case slices.Contains(st.ExcludedCategories, category):
		return 0, true
	case st.EffectiveFrom != nil && date.Before(*st.EffectiveFrom):
		return 0, true
	case len(st.Levels) > 0:
		t, ok := st.Levels[strings.ToLower(strings.TrimSpace(level))]
		if !ok {
			return 0, true
		}
		return t, false
	}
	return st.Default, false
}

// mergeReasons makes reasons a set: one entry per code, at the highest
// severity any rule gave it, in a stable order (block, warn, info; then code).
// A verdict has a handful of reasons, so they are matched by a linear
// search: it runs four times a product, and maps made it a tenth of an
// evaluation's allocations (issue #18).
func mergeReasons(in []Reason) []Reason {
	if len(in) == 0 {
		return nil
	}
	out := make([]Reason, 0, len(in))
	for _, r := range in {
		i := slices.IndexFunc(out, func(o Reason) bool { return o.Code == r.Code })
		if i < 0 {
			out = append(out, r)
			continue
		}
		if severityRank(r.Severity) < severityRank(out[i].Severity) {
			out[i].Severity, out[i].Message, out[i].Fix = r.Severity, r.Message, r.Fix
		}
		for _, l := range r.Labels {
			if !slices.Contains(out[i].Labels, l) {
				out[i].Labels = append(out[i].Labels, l)
			}
		}
		for _, c := range r.Recalls {
			if !slices.ContainsFunc(out[i].Recalls, func(o RecallRef) bool { return o.Ref() == c.Ref() }) {
				out[i].Recalls = append(out[i].Recalls, c)
			}
		}
		for _, l := range r.RecallLists {
			if !slices.Contains(out[i].RecallLists, l) {
				out[i].RecallLists = append(out[i].RecallLists, l)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Reason) int {
		if ra, rb := severityRank(a.Severity), severityRank(b.Severity); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out
}

// severityRank orders severities, the most severe first.
func severityRank(s string) int {
	switch s {
	case Block:
		return 0
	case Warn:
		return 1
	case Info:
		return 2
	}
	return 3
}

func fieldText(p *catalog.Product, field string) string {
	switch field {
	case "password_model":
		return p.PasswordModel
	case "vuln_report_contact":
		return p.VulnReportContact
	case "statement_of_compliance":
		return p.StatementOfCompliance
	case "ce_marking":
		return p.CEMarking
	case "support_end", "support_end_declared":
		return fieldDate(p, field).String()
	}
	return ""
}

func fieldDate(p *catalog.Product, field string) civil.Date {
	switch field {
	case "support_end":
		return p.SupportEnd
	case "support_end_declared":
		return p.SupportEndDeclared
	}
	return civil.Date{}
}

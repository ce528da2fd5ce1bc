// Package policy holds Cascade's rules as data: a versioned document of
// rules (each a generic kind with parameters, scope, effective dates and
// severity) and a tier table mapping label schemes onto one scale. Evaluate
// applies a document to a product; nothing about a particular law or scheme
// is written in Go.
package policy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
)

// Severities of a reason.
const (
	Block = "block"
	Warn  = "warn"
	Info  = "info"
)

// Rule kinds: the closed set of checks a policy can ask for.
const (
	KindRequiredField  = "required_field"  // field is empty
	KindForbiddenValue = "forbidden_value" // field holds one of values
	KindRequiredValue  = "required_value"  // field holds none of values
	KindDateBefore     = "date_before"     // field < D
	KindDateWithin     = "date_within"     // D <= field < D + window
	KindFieldShortened = "field_shortened" // field < declared_field
	KindLabelTier      = "label_tier"      // no valid label (of scheme) with tier >= min_tier
	KindLabelStatus    = "label_status"    // a claimed label is in status
	KindUnclaimed      = "unclaimed_label" // registries list a label for the model that is not claimed
	KindRecall         = "recall"          // a recall list names the product in this market, matched as status says
	// KindRecallListStale: a recall list the market relies on (of scheme,
	// if given) has a snapshot older than the list's max age.
	KindRecallListStale = "recall_list_stale"
)

// Label statuses a label_status rule can name.
var labelStatuses = []string{"not_found", "model_mismatch", "revoked", "suspended", "expired", "expires_soon", "not_recognised", "registry_stale"}

// Fields a rule may test, by name.
var fields = []string{"password_model", "vuln_report_contact", "support_end", "support_end_declared", "statement_of_compliance", "ce_marking"}

// Document is one version of the policy.
type Document struct {
	Version              string            `json:"version"`
	Name                 string            `json:"name"`
	Description          string            `json:"description,omitempty"`
	OutOfScopeCategories []string          `json:"out_of_scope_categories"`
	Markets              map[string]Market `json:"markets"`
	Tiers                TierTable         `json:"tiers"`
	Rules                []Rule            `json:"rules"`
	// OutlookDays is how far ahead a verdict's outlook looks for the day it
	// turns blocked (DefaultOutlookDays when 0). Looking further costs an
	// evaluation per date named; a block further off is found once it comes
	// within reach, since the outlook asks to be checked again then.
	OutlookDays int `json:"outlook_days,omitempty"`
}

// DefaultOutlookDays is a year: every notice period (90 days by default)
// fits in it.
const DefaultOutlookDays = 366

func (d *Document) outlookDays() int {
	if d.OutlookDays > 0 {
		return d.OutlookDays
	}
	return DefaultOutlookDays
}

// Market is a market's scope.
type Market struct {
	ExcludedCategories []string `json:"excluded_categories"`
	Basis              string   `json:"basis"`
}

// TierTable maps label schemes and levels onto the common tier scale 1-4.
type TierTable struct {
	Version string                `json:"version"`
	Basis   string                `json:"basis"`
	Schemes map[string]SchemeTier `json:"schemes"`
}

// SchemeTier is how one scheme's labels count.
type SchemeTier struct {
	Levels             map[string]int `json:"levels,omitempty"`  // level -> tier; a level not listed is not recognised
	Default            int            `json:"default,omitempty"` // tier of a single-level scheme
	ExcludedCategories []string       `json:"excluded_categories,omitempty"`
	EffectiveFrom      *civil.Date    `json:"effective_from,omitempty"`
	Basis              string         `json:"basis"`
}

// Window is a span of days or calendar months.
type Window struct {
	Days   int `json:"days,omitempty"`
	Months int `json:"months,omitempty"`
}

func (w Window) after(d civil.Date) civil.Date { return d.AddMonths(w.Months).AddDays(w.Days) }

// A window is at most a century of either unit: longer ones mean nothing
// for support periods or label expiry, and date arithmetic on a window of
// 2^62 months (which validation used to accept, as it accepted a negative
// part beside a larger positive one) overflows.
const (
	maxWindowDays   = 36_525
	maxWindowMonths = 1_200
)

// problem says what is wrong with w, or "" when it is a positive span of
// at most a century in each unit.
func (w *Window) problem() string {
	switch {
	case w == nil || w.Days < 0 || w.Months < 0 || w.Days+w.Months == 0:
		return "needs a positive window (days and months not negative, not both 0)"
	case w.Days > maxWindowDays || w.Months > maxWindowMonths:
		return fmt.Sprintf("window is longer than a century (at most %d days and %d months)", maxWindowDays, maxWindowMonths)
	}
	return ""
}

// Rule is one check.
type Rule struct {
	Code           string      `json:"code"`
	Kind           string      `json:"kind"`
	Field          string      `json:"field,omitempty"`
	DeclaredField  string      `json:"declared_field,omitempty"`
	Values         []string    `json:"values,omitempty"`
	Window         *Window     `json:"window,omitempty"`
	Scheme         string      `json:"scheme,omitempty"`
	MinTier        int         `json:"min_tier,omitempty"`
	LowCode        string      `json:"low_code,omitempty"` // label_tier: code when a label exists but its tier is too low
	Status         string      `json:"status,omitempty"`
	Markets        []string    `json:"markets,omitempty"`  // empty = every market
	Channels       []string    `json:"channels,omitempty"` // empty = both channels
	Categories     []string    `json:"categories,omitempty"`
	ExceptCategory []string    `json:"except_categories,omitempty"`
	EffectiveFrom  *civil.Date `json:"effective_from,omitempty"`
	EffectiveUntil *civil.Date `json:"effective_until,omitempty"`
	Severity       string      `json:"severity"`
	Enabled        *bool       `json:"enabled,omitempty"`          // default true; false switches a rule off without deleting it
	OutOfScopeToo  bool        `json:"out_of_scope_too,omitempty"` // applies to products out of scope too (a recall is not a connected-product rule)
	Message        string      `json:"message"`
	Fix            string      `json:"fix"`
	Basis          string      `json:"basis"`
}

//go:embed default.json
var defaultDocument []byte

// Default returns the policy Cascade ships with.
func Default() []byte { return bytes.Clone(defaultDocument) }

// Parse reads and validates a policy document; every problem is listed.
func Parse(raw []byte) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, errs.Invalidf("INVALID_POLICY", "the policy is not a valid policy document: %v", err)
	}
	if problems := d.validate(); len(problems) > 0 {
		return nil, errs.Invalidf("INVALID_POLICY", "the policy has %d problem(s): %s", len(problems), strings.Join(problems, "; ")).
			WithDetails(map[string]any{"problems": problems})
	}
	return &d, nil
}

func (d *Document) validate() []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(d.Version) == "" {
		bad("version is empty")
	}
	for _, c := range d.OutOfScopeCategories {
		if !catalog.IsCategory(c) {
			bad("out_of_scope_categories: unknown category %q", c)
		}
	}
	for code, m := range d.Markets {
		if !catalog.IsMarket(code) {
			bad("markets: unknown market %q", code)
		}
		for _, c := range m.ExcludedCategories {
			if !catalog.IsCategory(c) {
				bad("markets.%s: unknown category %q", code, c)
			}
		}
	}
	for code, st := range d.Tiers.Schemes {
		if st.Default == 0 && len(st.Levels) == 0 {
			bad("tiers.%s: give a default tier or a tier per level", code)
		}
		for level, tier := range st.Levels {
			if tier < 1 || tier > 4 {
				bad("tiers.%s: level %s maps to tier %d, outside 1-4", code, level, tier)
			}
		}
		if st.Default < 0 || st.Default > 4 {
			bad("tiers.%s: default tier %d outside 1-4", code, st.Default)
		}
	}
	for i, r := range d.Rules {
		at := fmt.Sprintf("rules[%d] %s", i, r.Code)
		if r.Code == "" || strings.ToUpper(r.Code) != r.Code {
			bad("%s: code must be UPPER_CASE", at)
		}
		if !slices.Contains([]string{Block, Warn, Info}, r.Severity) {
			bad("%s: severity %q is not block, warn or info", at, r.Severity)
		}
		if r.Message == "" || r.Fix == "" || r.Basis == "" {
			bad("%s: message, fix and basis are all required", at)
		}
		for _, m := range r.Markets {
			if !catalog.IsMarket(m) {
				bad("%s: unknown market %q", at, m)
			}
		}
		for _, c := range r.Channels {
			if !slices.Contains(catalog.Channels, c) {
				bad("%s: unknown channel %q", at, c)
			}
		}
		for _, c := range append(slices.Clone(r.Categories), r.ExceptCategory...) {
			if !catalog.IsCategory(c) {
				bad("%s: unknown category %q", at, c)
			}
		}
		if r.EffectiveFrom != nil && r.EffectiveUntil != nil && r.EffectiveUntil.Before(*r.EffectiveFrom) {
			bad("%s: effective_until is before effective_from", at)
		}
		switch r.Kind {
		case KindRequiredField, KindForbiddenValue, KindRequiredValue, KindDateBefore, KindDateWithin, KindFieldShortened:
			if !slices.Contains(fields, r.Field) {
				bad("%s: field %q is not one of %s", at, r.Field, strings.Join(fields, ", "))
			}
			if (r.Kind == KindForbiddenValue || r.Kind == KindRequiredValue) && len(r.Values) == 0 {
				bad("%s: %s needs values", at, r.Kind)
			}
			if p := r.Window.problem(); r.Kind == KindDateWithin && p != "" {
				bad("%s: date_within %s", at, p)
			}
			if r.Kind == KindFieldShortened && !slices.Contains(fields, r.DeclaredField) {
				bad("%s: declared_field %q is not a field", at, r.DeclaredField)
			}
		case KindLabelTier:
			if r.MinTier < 1 || r.MinTier > 4 {
				bad("%s: min_tier must be 1-4", at)
			}
		case KindLabelStatus:
			if !slices.Contains(labelStatuses, r.Status) {
				bad("%s: status %q is not one of %s", at, r.Status, strings.Join(labelStatuses, ", "))
			}
			if p := r.Window.problem(); r.Status == "expires_soon" && p != "" {
				bad("%s: expires_soon %s", at, p)
			}
		case KindUnclaimed:
		case KindRecall:
			if !slices.Contains(recallMatches, r.Status) {
				bad("%s: status %q is not one of %s", at, r.Status, strings.Join(recallMatches, ", "))
			}
		case KindRecallListStale:
		default:
			bad("%s: unknown kind %q", at, r.Kind)
		}
		if p := r.Window.problem(); r.Window != nil && p != "" && r.Kind != KindDateWithin && r.Status != "expires_soon" {
			bad("%s: %s", at, p) // a window no rule kind needs is still checked
		}
	}
	return p
}

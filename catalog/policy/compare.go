package policy

import (
	"slices"
	"sort"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// ExpiringWindowDays is the comparison's "expiring" window (SPEC §7).
const ExpiringWindowDays = 90

// SchemeStats is how one scheme's labels stand in the catalogue (or in one
// category of it): labelled products (a claim of the scheme), and of those
// valid (expiring ones included), suspended, revoked, expired, expiring
// within 90 days, and the median days of validity left of the valid labels
// that have an expiry date (nil when none has).
type SchemeStats struct {
	Scheme              string `json:"scheme"`
	Category            string `json:"category,omitempty"`
	Labelled            int    `json:"labelled"`
	Valid               int    `json:"valid"`
	Suspended           int    `json:"suspended"`
	Revoked             int    `json:"revoked"`
	Expired             int    `json:"expired"`
	Expiring90d         int    `json:"expiring_90d"`
	MedianRemainingDays *int   `json:"median_remaining_days"`
	TierBasis           string `json:"tier_basis,omitempty"` // why the scheme's labels count for the tier they do
	remaining           []int
}

// PairStats is how two schemes agree on the products labelled by both (A
// before B by code): of those products, how many have valid labels of both
// on the same tier, a higher tier from A, a higher tier from B, and how many
// are valid in one scheme and not the other. A product whose valid label
// counts for no tier (not recognised, registry stale) is in Products only.
type PairStats struct {
	A                 string `json:"a"`
	B                 string `json:"b"`
	Products          int    `json:"products"`
	SameTier          int    `json:"same_tier"`
	AHigher           int    `json:"a_higher"`
	BHigher           int    `json:"b_higher"`
	ValidityDisagrees int    `json:"validity_disagrees"`
}

// Comparison is the scheme comparison (SPEC §7, rec. 6 "compare results").
type Comparison struct {
	AsOf        civil.Date    `json:"as_of"`
	TierVersion string        `json:"tier_version"`
	TierBasis   string        `json:"tier_basis"`
	Schemes     []SchemeStats `json:"schemes"`
	Pairs       []PairStats   `json:"pairs"`
	Categories  []SchemeStats `json:"categories"` // per scheme and category, for the categories with labelled products
}

// Comparer accumulates products into a Comparison, a page at a time.
type Comparer struct {
	doc        *Document
	view       *registry.View
	date       civil.Date
	schemes    []string
	stats      map[string]*SchemeStats
	byCategory map[[2]string]*SchemeStats
	pairs      map[[2]string]*PairStats
}

// NewComparer compares the label schemes of view (every one, labelled or
// not) on date with doc's tier table.
func (d *Document) NewComparer(view *registry.View, date civil.Date) *Comparer {
	c := &Comparer{doc: d, view: view, date: date, stats: map[string]*SchemeStats{},
		byCategory: map[[2]string]*SchemeStats{}, pairs: map[[2]string]*PairStats{}}
	for code := range view.Schemes {
		c.schemes = append(c.schemes, code)
	}
	sort.Strings(c.schemes)
	for i, a := range c.schemes {
		c.stats[a] = &SchemeStats{Scheme: a, TierBasis: d.Tiers.Schemes[a].Basis}
		for _, b := range c.schemes[i+1:] {
			c.pairs[[2]string{a, b}] = &PairStats{A: a, B: b}
		}
	}
	return c
}

// Add counts one product: each scheme it claims a label of once, by its
// best claimed label of that scheme.
func (c *Comparer) Add(p *catalog.Product) {
	best := map[string]LabelEvidence{}
	for _, l := range c.doc.assessLabels(p, c.date, c.view) {
		if !l.Claimed {
			continue
		}
		if old, ok := best[l.Scheme]; !ok || better(l, old) {
			best[l.Scheme] = l
		}
	}
	var held []string
	for scheme, l := range best {
		st := c.stats[scheme]
		if st == nil {
			continue // a claim of a scheme Cascade does not know
		}
		held = append(held, scheme)
		key := [2]string{scheme, p.Category}
		cat := c.byCategory[key]
		if cat == nil {
			cat = &SchemeStats{Scheme: scheme, Category: p.Category, TierBasis: st.TierBasis}
			c.byCategory[key] = cat
		}
		for _, s := range []*SchemeStats{st, cat} {
			c.count(s, l)
		}
	}
	slices.Sort(held)
	for i, a := range held {
		for _, b := range held[i+1:] {
			pr := c.pairs[[2]string{a, b}]
			la, lb := best[a], best[b]
			pr.Products++
			va, vb := la.Status == registry.StatusValid, lb.Status == registry.StatusValid
			switch {
			case va != vb:
				pr.ValidityDisagrees++
			case !va || la.Tier == 0 || lb.Tier == 0:
			case la.Tier == lb.Tier:
				pr.SameTier++
			case la.Tier > lb.Tier:
				pr.AHigher++
			default:
				pr.BHigher++
			}
		}
	}
}

func (c *Comparer) count(s *SchemeStats, l LabelEvidence) {
	s.Labelled++
	switch l.Status {
	case registry.StatusValid:
		s.Valid++
		if l.Entry != nil && !l.Entry.Expires.IsZero() {
			days := int(l.Entry.Expires.Time().Sub(c.date.Time()).Hours() / 24)
			s.remaining = append(s.remaining, days)
			if days < ExpiringWindowDays {
				s.Expiring90d++
			}
		}
	case registry.StatusSuspended:
		s.Suspended++
	case registry.StatusRevoked:
		s.Revoked++
	case "expired":
		s.Expired++
	}
}

// better prefers a valid label, then the higher tier, then the later expiry.
func better(a, b LabelEvidence) bool {
	va, vb := a.Status == registry.StatusValid, b.Status == registry.StatusValid
	if va != vb {
		return va
	}
	if a.Tier != b.Tier {
		return a.Tier > b.Tier
	}
	return a.Entry != nil && b.Entry != nil && a.Entry.Expires.After(b.Entry.Expires)
}

// Result is the comparison of every product added.
func (c *Comparer) Result() Comparison {
	out := Comparison{AsOf: c.date, TierVersion: c.doc.Tiers.Version, TierBasis: c.doc.Tiers.Basis,
		Schemes: []SchemeStats{}, Pairs: []PairStats{}, Categories: []SchemeStats{}}
	for _, code := range c.schemes {
		out.Schemes = append(out.Schemes, finish(c.stats[code]))
	}
	for i, a := range c.schemes {
		for _, b := range c.schemes[i+1:] {
			out.Pairs = append(out.Pairs, *c.pairs[[2]string{a, b}])
		}
	}
	for _, s := range c.byCategory {
		out.Categories = append(out.Categories, finish(s))
	}
	sort.Slice(out.Categories, func(i, j int) bool {
		if out.Categories[i].Scheme != out.Categories[j].Scheme {
			return out.Categories[i].Scheme < out.Categories[j].Scheme
		}
		return out.Categories[i].Category < out.Categories[j].Category
	})
	return out
}

// finish computes the median: of an even count, the mean of the two middle
// values, rounded down to a whole day.
func finish(s *SchemeStats) SchemeStats {
	out := *s
	if n := len(s.remaining); n > 0 {
		r := slices.Clone(s.remaining)
		slices.Sort(r)
		m := (r[(n-1)/2] + r[n/2]) / 2
		out.MedianRemainingDays = &m
	}
	out.remaining = nil
	return out
}

package registry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
)

// View is every scheme's latest snapshot, loaded for matching. The verdict
// engine works from a View and never touches the database or the network.
type View struct {
	Schemes     map[string]*SchemeView // label registries
	RecallLists map[string]*SchemeView // recall lists, apart: no label can be claimed from one
	byModel     map[string][]*Found
	recalls     recallIndex
	now         time.Time // what staleness was judged against
}

// SchemeView is one scheme's latest registry.
type SchemeView struct {
	Code       string
	MaxAgeDays int
	Snapshot   *Snapshot // nil when no snapshot was ever loaded
	Stale      bool      // the snapshot is older than MaxAgeDays (wall clock)
	// Markets, of a recall list, are the markets its latest snapshot's
	// recalls apply to (none: it names none, so it may speak for any).
	Markets []string
	byLabel map[string]*Entry
}

// SpeaksFor reports whether a recall list is one a product in market
// relies on: it names recalls there, or it names no market at all.
func (sv *SchemeView) SpeaksFor(market string) bool {
	return len(sv.Markets) == 0 || slices.Contains(sv.Markets, market)
}

// Found is an entry together with the snapshot it came from.
type Found struct {
	Scheme   string
	Entry    *Entry
	Snapshot *Snapshot
}

// Label finds a claimed label in its scheme's latest snapshot. The scheme
// view is returned even when the label is not found (nil if the scheme is unknown).
func (v *View) Label(scheme, labelKey string) (*Entry, *SchemeView) {
	sv := v.Schemes[scheme]
	if sv == nil {
		return nil, nil
	}
	return sv.byLabel[labelKey], sv
}

// ByModel finds the entries of every scheme that cover a brand+model key.
func (v *View) ByModel(matchKey string) []*Found { return v.byModel[matchKey] }

// StaleFrom is the instant after which the scheme's snapshot is stale
// (zero when no snapshot was ever loaded: it is stale already).
func (sv *SchemeView) StaleFrom() time.Time {
	if sv.Snapshot == nil {
		return time.Time{}
	}
	return StaleFrom(sv.Snapshot.FetchedAt, sv.MaxAgeDays)
}

// StaleFrom is the instant after which a snapshot fetched at fetched is
// stale, for a scheme whose snapshots keep maxAgeDays: the one rule the
// verdicts, the nightly run's selection and the admin page judge by.
func StaleFrom(fetched time.Time, maxAgeDays int) time.Time {
	return fetched.Add(time.Duration(maxAgeDays) * 24 * time.Hour)
}

// At is the same registries with staleness judged on another date, at the
// same time of day as the view's own clock: what they will say then if no
// snapshot arrives meanwhile. A nil view stays nil.
func (v *View) At(date civil.Date) *View {
	if v == nil {
		return nil
	}
	days := int(date.Time().Sub(civil.Of(v.now).Time()) / (24 * time.Hour))
	now := v.now.AddDate(0, 0, days)
	out := &View{Schemes: make(map[string]*SchemeView, len(v.Schemes)), RecallLists: make(map[string]*SchemeView, len(v.RecallLists)),
		byModel: v.byModel, recalls: v.recalls, now: now}
	for _, kind := range []struct{ from, to map[string]*SchemeView }{{v.Schemes, out.Schemes}, {v.RecallLists, out.RecallLists}} {
		for code, sv := range kind.from {
			c := *sv
			if c.Snapshot != nil {
				c.Stale = now.After(c.StaleFrom())
			}
			kind.to[code] = &c
		}
	}
	return out
}

// StaleRecallLists are the recall lists whose latest snapshot is stale, in
// code order. A list that was never loaded is not among them: no verdict
// ever rested on it (a deployment need not use every list Cascade knows).
func (v *View) StaleRecallLists() []*SchemeView {
	var out []*SchemeView
	for _, sv := range v.LoadedRecallLists() {
		if sv.Stale {
			out = append(out, sv)
		}
	}
	return out
}

// LoadedRecallLists are the recall lists with a snapshot, in code order:
// those whose turning stale can change a verdict.
func (v *View) LoadedRecallLists() []*SchemeView {
	if v == nil {
		return nil
	}
	var out []*SchemeView
	for _, sv := range v.RecallLists {
		if sv.Snapshot != nil {
			out = append(out, sv)
		}
	}
	slices.SortFunc(out, func(a, b *SchemeView) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// Loaded is one scheme's latest snapshot and its entries.
type Loaded struct {
	Scheme     string
	Kind       string // KindLabels ("" too) or KindRecalls
	MaxAgeDays int
	Snapshot   *Snapshot // nil: no snapshot yet
	Entries    []Entry
}

// NewView indexes loaded snapshots; staleness is judged against now.
func NewView(now time.Time, loaded []Loaded) *View {
	v := &View{Schemes: map[string]*SchemeView{}, RecallLists: map[string]*SchemeView{}, byModel: map[string][]*Found{}, now: now}
	for _, l := range loaded {
		sv := &SchemeView{Code: l.Scheme, MaxAgeDays: l.MaxAgeDays, Snapshot: l.Snapshot, byLabel: map[string]*Entry{}}
		if l.Kind == KindRecalls {
			v.RecallLists[l.Scheme] = sv
		} else {
			v.Schemes[l.Scheme] = sv
		}
		if l.Snapshot == nil {
			continue
		}
		sv.Stale = now.After(sv.StaleFrom())
		if l.Kind == KindRecalls {
			v.recalls.add(l)
			sv.Markets = recallMarkets(l.Entries)
			continue
		}
		for i := range l.Entries {
			e := &l.Entries[i]
			sv.byLabel[e.LabelKey] = e
			for _, k := range e.MatchKeys() {
				v.byModel[k] = append(v.byModel[k], &Found{Scheme: l.Scheme, Entry: e, Snapshot: l.Snapshot})
			}
		}
	}
	return v
}

// recallMarkets is every market a recall list's entries apply to, sorted.
func recallMarkets(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		for _, m := range e.MarketList() {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	slices.Sort(out)
	return out
}

// LoadView loads every scheme's latest snapshot; staleness is judged against now.
func (s *Store) LoadView(ctx context.Context, now time.Time) (*View, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var schemes []Scheme
	if err := db.Order("code").Find(&schemes).Error; err != nil {
		return nil, err
	}
	var loaded []Loaded
	for _, sc := range schemes {
		l := Loaded{Scheme: sc.Code, Kind: sc.Kind, MaxAgeDays: sc.MaxAgeDays}
		var snap Snapshot
		err := db.Where("scheme_id = ?", sc.ID).Order("id DESC").First(&snap).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			loaded = append(loaded, l)
			continue
		}
		if err != nil {
			return nil, err
		}
		snap.Scheme = sc.Code
		l.Snapshot = &snap
		if err := db.Where("snapshot_id = ?", snap.ID).Find(&l.Entries).Error; err != nil {
			return nil, err
		}
		loaded = append(loaded, l)
	}
	return NewView(now, loaded), nil
}

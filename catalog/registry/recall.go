package registry

import (
	"context"
	"slices"
	"strings"

	"github.com/cascade-gate/cascade/catalog"
)

// Registry kinds: a label registry is positive evidence (SPEC §3), a recall
// list negative evidence. Both are kept, hashed, diffed and refreshed the
// same way; only their readers and what the verdict engine does with their
// entries differ.
const (
	KindLabels  = "labels"
	KindRecalls = "recalls"
)

// A recall entry's LabelID is the authority's recall number, Issued its
// date, Brand the manufacturers it names (';'-separated), Model and Models
// the models; GTINs, Markets, Hazard and Title are its own.

// Recall matches (SPEC §3): RecallConfirmed when the product's GTIN is
// listed and the brand and model the entry names agree; RecallPossible for
// a listed GTIN whose brand or model disagrees, or a brand + model match
// without the GTIN (authorities warn that UPCs are reused and often missing).
const (
	RecallConfirmed = "confirmed"
	RecallPossible  = "possible"
)

// Brands are the manufacturers a recall entry names.
func (e Entry) Brands() []string { return splitList(e.Brand) }

// ModelList is every model an entry names: its model and its other models.
func (e Entry) ModelList() []string {
	return append(splitList(e.Model), splitList(e.Models)...)
}

// GTINList is the GTIN-14s a recall entry lists.
func (e Entry) GTINList() []string { return splitList(e.GTINs) }

// MarketList is the markets a recall applies to.
func (e Entry) MarketList() []string { return strings.Fields(e.Markets) }

// RecallKeys are the brand+model keys a recall entry names: every brand with
// every model; none when it names no brand or no model.
func (e Entry) RecallKeys() []string {
	var keys []string
	for _, b := range e.Brands() {
		for _, m := range e.ModelList() {
			if k := catalog.MatchKey(b, m); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// MatchRecall says how a recall entry matches a product with this GTIN-14,
// brand and model: RecallConfirmed, RecallPossible, or "" (no match).
func (e Entry) MatchRecall(gtin, brand, model string) string {
	listed := gtin != "" && slices.Contains(e.GTINList(), gtin)
	brandOK := len(e.Brands()) == 0 || slices.ContainsFunc(e.Brands(), func(b string) bool {
		return catalog.MatchKey(b, "") == catalog.MatchKey(brand, "")
	})
	modelOK := len(e.ModelList()) == 0 || slices.ContainsFunc(e.ModelList(), func(m string) bool {
		return catalog.MatchKey("", m) == catalog.MatchKey("", model)
	})
	switch {
	case listed && brandOK && modelOK:
		return RecallConfirmed
	case listed:
		return RecallPossible
	case slices.Contains(e.RecallKeys(), catalog.MatchKey(brand, model)):
		return RecallPossible
	}
	return ""
}

// Affected is what a new recall snapshot can change the verdicts of: the
// products with one of these GTINs or brand+model keys.
type Affected struct {
	GTINs     []string
	MatchKeys []string
}

// RecallAffected compares two snapshots of a recall list: every entry
// added, changed or withdrawn contributes the GTINs and brand+model keys of
// both its versions. Entries that stayed as they were affect nothing.
func RecallAffected(prev, next []Entry) Affected {
	before := make(map[string]Entry, len(prev))
	for _, e := range prev {
		before[e.LabelKey] = e
	}
	gtins, keys := map[string]bool{}, map[string]bool{}
	touch := func(e Entry) {
		for _, g := range e.GTINList() {
			gtins[g] = true
		}
		for _, k := range e.RecallKeys() {
			keys[k] = true
		}
	}
	seen := make(map[string]bool, len(next))
	for _, e := range next {
		seen[e.LabelKey] = true
		old, ok := before[e.LabelKey]
		if ok && old.fingerprint() == e.fingerprint() {
			continue
		}
		touch(e)
		if ok {
			touch(old)
		}
	}
	for _, e := range prev {
		if !seen[e.LabelKey] {
			touch(e) // withdrawn
		}
	}
	var a Affected
	for g := range gtins {
		a.GTINs = append(a.GTINs, g)
	}
	for k := range keys {
		a.MatchKeys = append(a.MatchKeys, k)
	}
	slices.Sort(a.GTINs)
	slices.Sort(a.MatchKeys)
	return a
}

// splitList splits a ';'-separated list, trimmed, without empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ";") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// RecallList is a recall list with its latest snapshot (nil before the first).
type RecallList struct {
	List   Scheme    `json:"list"`
	Latest *Snapshot `json:"latest"`
}

// RecallListsWithLatest lists every recall list with its latest snapshot.
func (s *Store) RecallListsWithLatest(ctx context.Context) ([]RecallList, error) {
	lists, err := s.RecallLists(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RecallList, 0, len(lists))
	for _, l := range lists {
		snaps, err := s.Snapshots(ctx, l.Code)
		if err != nil {
			return nil, err
		}
		rl := RecallList{List: l}
		if len(snaps) > 0 {
			rl.Latest = &snaps[0]
		}
		out = append(out, rl)
	}
	return out, nil
}

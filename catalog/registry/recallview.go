package registry

// recallIndex finds the recall entries that may name a product: by GTIN and
// by brand+model key.
type recallIndex struct {
	byGTIN, byModel map[string][]*Found
}

func (x *recallIndex) add(l Loaded) {
	if x.byGTIN == nil {
		x.byGTIN, x.byModel = map[string][]*Found{}, map[string][]*Found{}
	}
	for i := range l.Entries {
		f := &Found{Scheme: l.Scheme, Entry: &l.Entries[i], Snapshot: l.Snapshot}
		for _, g := range f.Entry.GTINList() {
			x.byGTIN[g] = append(x.byGTIN[g], f)
		}
		for _, k := range f.Entry.RecallKeys() {
			x.byModel[k] = append(x.byModel[k], f)
		}
	}
}

// RecallMatch is a recall entry that names a product, and how (RecallConfirmed
// or RecallPossible).
type RecallMatch struct {
	Found
	Match string
}

// Recalls finds every recall entry of the latest recall snapshots that
// matches a product with this GTIN-14, brand and model (Entry.MatchRecall);
// the caller orders them (policy.assessRecalls sorts by authority and number).
func (v *View) Recalls(gtin, brand, model, matchKey string) []RecallMatch {
	if v == nil {
		return nil
	}
	var out []RecallMatch
	seen := map[*Entry]bool{}
	for _, f := range append(append([]*Found(nil), v.recalls.byGTIN[gtin]...), v.recalls.byModel[matchKey]...) {
		if seen[f.Entry] {
			continue
		}
		seen[f.Entry] = true
		if m := f.Entry.MatchRecall(gtin, brand, model); m != "" {
			out = append(out, RecallMatch{Found: *f, Match: m})
		}
	}
	return out
}

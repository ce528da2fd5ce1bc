package registry

import (
	"sort"

	"github.com/cascade-gate/cascade/app/kernel/civil"
)

// Diff is what changed between two snapshots of a scheme, by label id.
type Diff struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Revoked []string `json:"revoked"` // newly revoked, or gone from the registry
	Expired []string `json:"expired"` // newly past their expiry date
}

// diff compares the entries of the previous snapshot, taken on prevDay, with
// the next, taken today. An entry counts once, in the first list that fits.
func diff(prev, next []Entry, prevDay, today civil.Date) Diff {
	before := make(map[string]Entry, len(prev))
	for _, e := range prev {
		before[e.LabelKey] = e
	}
	var d Diff
	seen := make(map[string]bool, len(next))
	for _, e := range next {
		seen[e.LabelKey] = true
		old, ok := before[e.LabelKey]
		switch {
		case !ok:
			d.Added = append(d.Added, e.LabelID)
		case e.Status == StatusRevoked && old.Status != StatusRevoked:
			d.Revoked = append(d.Revoked, e.LabelID)
		case expired(e, today) && !expired(old, prevDay):
			d.Expired = append(d.Expired, e.LabelID)
		case e.fingerprint() != old.fingerprint():
			d.Changed = append(d.Changed, e.LabelID)
		}
	}
	for _, e := range prev {
		if !seen[e.LabelKey] && e.Status != StatusRevoked {
			d.Revoked = append(d.Revoked, e.LabelID) // withdrawn from the list
		}
	}
	for _, l := range [][]string{d.Added, d.Changed, d.Revoked, d.Expired} {
		sort.Strings(l)
	}
	return d
}

func expired(e Entry, today civil.Date) bool {
	return !e.Expires.IsZero() && e.Expires.Before(today)
}

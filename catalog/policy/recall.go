package policy

import (
	"slices"
	"sort"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// Recall matches a recall rule can name (its status).
var recallMatches = []string{registry.RecallConfirmed, registry.RecallPossible}

// RecallRef names a recall where a reason cites it, so the gate, the
// supplier's view and the evidence pack can name the recall from the
// reasons alone: authority, recall number, date, hazard and URL.
type RecallRef struct {
	Authority    string     `json:"authority"`
	RecallNumber string     `json:"recall_number"`
	Date         civil.Date `json:"date"`
	Hazard       string     `json:"hazard,omitempty"`
	URL          string     `json:"url,omitempty"`
	Match        string     `json:"match"` // confirmed or possible
}

// Ref is AUTHORITY:RECALL_NUMBER.
func (r RecallRef) Ref() string { return r.Authority + ":" + r.RecallNumber }

// RecallEvidence records a recall that names the product, with the
// snapshot it came from: what the product page shows.
type RecallEvidence struct {
	RecallRef
	Title          string    `json:"title,omitempty"`
	Markets        []string  `json:"markets"`
	Why            string    `json:"why"` // what matched, for people
	SnapshotID     int64     `json:"snapshot_id"`
	SnapshotSHA256 string    `json:"snapshot_sha256"`
	FetchedAt      time.Time `json:"snapshot_fetched_at"`
	Sample         bool      `json:"sample,omitempty"` // from a shipped sample list, not a real authority's
}

// assessRecalls finds every recall of the latest recall snapshots that
// names the product, in any market, ordered by authority and number.
func assessRecalls(p *catalog.Product, v *registry.View) []RecallEvidence {
	var out []RecallEvidence
	for _, m := range v.Recalls(p.GTIN, p.Brand, p.Model, p.MatchKey) {
		e := m.Entry
		why := "the GTIN is listed and the brand and model the recall names agree"
		if m.Match == registry.RecallPossible {
			why = "the brand and model match, but the recall does not list this GTIN"
			if slices.Contains(e.GTINList(), p.GTIN) {
				why = "the GTIN is listed, but the recall names another brand or model (authorities warn that UPCs are reused)"
			}
		}
		out = append(out, RecallEvidence{RecallRef: RecallRef{Authority: m.Scheme, RecallNumber: e.LabelID, Date: e.Issued,
			Hazard: e.Hazard, URL: e.URL, Match: m.Match}, Title: e.Title, Markets: e.MarketList(), Why: why,
			SnapshotID: m.Snapshot.ID, SnapshotSHA256: m.Snapshot.SHA256, FetchedAt: m.Snapshot.FetchedAt, Sample: m.Snapshot.Sample})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ref() < out[j].Ref() })
	// One canonical recall may name the product on several rows: keep the strongest match.
	var merged []RecallEvidence
	for _, r := range out {
		if n := len(merged); n > 0 && merged[n-1].Ref() == r.Ref() {
			if r.Match == registry.RecallConfirmed {
				merged[n-1] = r
			}
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// StaleRecallList is a recall list whose latest snapshot is older than the
// list's max age (wall clock, as REGISTRY_STALE): Cascade cannot vouch that
// a product it does not name is not recalled since. Its recalls still count
// (the last good snapshot is kept); this records that the list is behind.
type StaleRecallList struct {
	List       string    `json:"list"`
	SnapshotID int64     `json:"snapshot_id"`
	FetchedAt  time.Time `json:"snapshot_fetched_at"`
	MaxAgeDays int       `json:"max_age_days"`
	Markets    []string  `json:"markets,omitempty"` // the markets its recalls apply to; none: every market
}

// assessStaleLists lists the stale recall lists of v, in code order.
func assessStaleLists(v *registry.View) []StaleRecallList {
	var out []StaleRecallList
	for _, sv := range v.StaleRecallLists() {
		out = append(out, StaleRecallList{List: sv.Code, SnapshotID: sv.Snapshot.ID, FetchedAt: sv.Snapshot.FetchedAt,
			MaxAgeDays: sv.MaxAgeDays, Markets: sv.Markets})
	}
	return out
}

// staleIn keeps the stale lists a product in market relies on.
func staleIn(lists []StaleRecallList, market string) []StaleRecallList {
	var out []StaleRecallList
	for _, l := range lists {
		if len(l.Markets) == 0 || slices.Contains(l.Markets, market) {
			out = append(out, l)
		}
	}
	return out
}

// checkStaleLists raises the rule's code when a recall list the market
// relies on (of the rule's scheme, if it names one) is stale.
func (r *Rule) checkStaleLists(lists []StaleRecallList) []Reason {
	var names []string
	for _, l := range lists {
		if r.Scheme == "" || r.Scheme == l.List {
			names = append(names, l.List)
		}
	}
	if len(names) == 0 {
		return nil
	}
	reason := r.reason(r.Code)
	reason.RecallLists = names
	return []Reason{reason}
}

// inMarket keeps the recalls that apply to market.
func inMarket(recalls []RecallEvidence, market string) []RecallEvidence {
	var out []RecallEvidence
	for _, r := range recalls {
		if slices.Contains(r.Markets, market) {
			out = append(out, r)
		}
	}
	return out
}

// checkRecalls raises the rule's code when a recall of the market matches
// as the rule's status says.
func (r *Rule) checkRecalls(recalls []RecallEvidence) []Reason {
	var refs []RecallRef
	for _, c := range recalls {
		if c.Match == r.Status {
			refs = append(refs, c.RecallRef)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	reason := r.reason(r.Code)
	reason.Field, reason.Recalls = "gtin", refs
	return []Reason{reason}
}

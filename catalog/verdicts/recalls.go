package verdicts

import (
	"context"
	"slices"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// recomputeAfterSnapshots recomputes the verdicts new snapshots can change:
// every verdict after a label snapshot, only the products a recall snapshot
// affects after recall snapshots alone (RecallAffectedProducts).
func (s *Service) recomputeAfterSnapshots(ctx context.Context, snaps []registry.Snapshot, what string) Recomputation {
	ids := []int64{} // not nil, which would recompute every product: a snapshot that changes nothing affects none
	for _, snap := range snaps {
		some, err := s.RecallAffectedProducts(ctx, snap)
		if err != nil {
			return Recomputation{Pending: errs.E(errs.Unavailable, NotRecomputed,
				"%s is stored, but the verdicts were not recomputed (%s); the nightly re-evaluation recomputes them, or run it now", what, errs.CodeOf(err)).Wrap(err)}
		}
		if some == nil {
			return s.recomputeAfter(ctx, what) // a label snapshot: every product
		}
		ids = append(ids, some...)
	}
	slices.Sort(ids)
	return s.recomputeAfterIDs(ctx, what, slices.Compact(ids))
}

// RecallAffectedProducts lists the products whose verdicts a recall list's
// snapshot can change: those with a GTIN or a brand+model key of an entry it
// added, changed or withdrew against the list's previous snapshot
// (registry.RecallAffected). It returns nil, not an empty list, for a label
// registry's snapshot, which can change any product's verdicts, and for one
// replacing a snapshot that had turned stale: every verdict in the list's
// markets said so (RECALL_LIST_STALE), and says so no longer.
func (s *Service) RecallAffectedProducts(ctx context.Context, snap registry.Snapshot) ([]int64, error) {
	sc, err := s.registries.Scheme(ctx, snap.Scheme)
	if err != nil {
		return nil, err
	}
	if sc.Kind != registry.KindRecalls {
		return nil, nil
	}
	next, err := s.registries.Entries(ctx, snap.ID)
	if err != nil {
		return nil, err
	}
	var prev []registry.Entry
	if snap.PreviousID != nil {
		was, err := s.registries.Snapshot(ctx, *snap.PreviousID)
		if err != nil {
			return nil, err
		}
		// As snapshotsTouch judges it for the nightly run.
		if snap.FetchedAt.After(registry.StaleFrom(was.FetchedAt, sc.MaxAgeDays)) {
			return nil, nil
		}
		if prev, err = s.registries.Entries(ctx, *snap.PreviousID); err != nil {
			return nil, err
		}
	}
	a := registry.RecallAffected(prev, next)
	ids := []int64{}
	const chunk = 500 // well under every database's bound on bound variables
	for _, q := range []struct {
		column string
		values []string
	}{{"gtin", a.GTINs}, {"match_key", a.MatchKeys}} {
		for start := 0; start < len(q.values); start += chunk {
			var some []int64
			if err := s.db.WithContext(ctx).Table("products").Where(q.column+" IN ?", q.values[start:min(start+chunk, len(q.values))]).
				Pluck("id", &some).Error; err != nil {
				return nil, err
			}
			ids = append(ids, some...)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

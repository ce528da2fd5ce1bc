package verdicts

import (
	"context"
	"path/filepath"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/registry"
)

// This file holds the use cases that change what verdicts rest on (a
// registry snapshot, the active policy) and then recompute them. The API,
// the pages, the CLI and the jobs all call these, so they store, check and
// report the same way.

// NotRecomputed is the code of a partial success: the change (a snapshot, a
// policy activation) is stored and stays, but recomputing the verdicts
// after it failed. Nothing is lost: the nightly re-evaluation (or POST
// /api/v1/evaluate, `cascade evaluate`) brings the verdicts up to date.
const NotRecomputed = "VERDICTS_NOT_RECOMPUTED"

// Recomputation says what became of the verdicts after a change to their
// inputs: Stats when they were recomputed, or Pending (NotRecomputed, its
// cause wrapped) when the change is stored but the recompute failed.
type Recomputation struct {
	Stats   *Stats
	Pending *errs.Error
}

// recomputeAfter recomputes the verdicts what (stored already) can change
// (Reevaluate: the products a snapshot's changed entries touch, every
// product after a policy activation) and reports a failure as Pending,
// never as the change's failure.
func (s *Service) recomputeAfter(ctx context.Context, what string) Recomputation {
	st, err := s.Reevaluate(ctx, false)
	return recomputation(what, st, err)
}

// recomputeAfterIDs is recomputeAfter for the products in ids (a recall
// list's snapshot names the products it can affect). The next Reevaluate
// may look at that snapshot again: more work, never a verdict missed.
func (s *Service) recomputeAfterIDs(ctx context.Context, what string, ids []int64) Recomputation {
	st, err := s.Recompute(ctx, ids)
	return recomputation(what, st, err)
}

func recomputation(what string, st Stats, err error) Recomputation {
	if err != nil {
		return Recomputation{Pending: errs.E(errs.Unavailable, NotRecomputed,
			"%s is stored, but the verdicts were not recomputed (%s); the nightly re-evaluation recomputes them, or run it now", what, errs.CodeOf(err)).Wrap(err)}
	}
	return Recomputation{Stats: &st}
}

// SnapshotFile is a registry file to store as a scheme's new snapshot.
type SnapshotFile struct {
	Scheme  string
	Path    string           // where the file is on disk
	Name    string           // the source to record (the file's name as uploaded); "" = Path's base name
	Mapping registry.Mapping // from the file's columns to the canonical ones
	Sample  bool             // shipped demo data, not a real registry
	Format  string           // a reader of the scheme's kind: "" canonical, registry.FormatCPSC
}

// SnapshotChange is a stored snapshot and what became of the verdicts.
type SnapshotChange struct {
	Snapshot registry.Snapshot
	Recomputation
}

// ImportSnapshot stores a registry file as a new snapshot of its scheme,
// then recomputes every verdict. Only admins (and the system) may. The
// scheme is checked before the file is read; a file with any unreadable
// row is refused whole and the last good snapshot stays. The error is
// non-nil only when nothing was stored.
func (s *Service) ImportSnapshot(ctx context.Context, f SnapshotFile) (SnapshotChange, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return SnapshotChange{}, err
	}
	sc, err := s.registries.Scheme(ctx, f.Scheme)
	if err != nil {
		return SnapshotChange{}, err
	}
	entries, err := registry.ReadSource(f.Path, sc, f.Format, f.Mapping)
	if err != nil {
		return SnapshotChange{}, err
	}
	name := f.Name
	if name == "" {
		name = filepath.Base(f.Path)
	}
	snap, err := s.registries.Import(ctx, registry.NewSnapshot{Scheme: sc.Code, Source: name, Sample: f.Sample, Entries: entries})
	if err != nil {
		return SnapshotChange{}, err
	}
	return SnapshotChange{Snapshot: snap, Recomputation: s.recomputeAfterSnapshots(ctx, []registry.Snapshot{snap}, "the snapshot")}, nil
}

// PolicyChange is an activated policy version and what became of the verdicts.
type PolicyChange struct {
	Policy policy.Version
	Recomputation
}

// ActivatePolicy makes a stored policy version the active one, then
// recomputes every verdict. Only admins (and the system) may. The error is
// non-nil only when the version was not activated.
func (s *Service) ActivatePolicy(ctx context.Context, version string) (PolicyChange, error) {
	v, err := s.policies.Activate(ctx, version)
	if err != nil {
		return PolicyChange{}, err
	}
	return PolicyChange{Policy: v, Recomputation: s.recomputeAfter(ctx, "the policy activation")}, nil
}

// SourceRefresh is what one source's refresh did: a new snapshot, or Err
// (the last good snapshot stays; the source's status says why).
type SourceRefresh struct {
	Source   registry.Source
	Snapshot registry.Snapshot
	Err      error
}

// RunRefresh runs one source's refresh; it may decline (ran false: another
// replica fetches it). RefreshSources calls refresh directly when it is nil.
type RunRefresh func(ctx context.Context, src registry.Source, refresh func(context.Context) error) (ran bool, err error)

// RefreshSources fetches each source through f (under run, if given) and,
// if any new snapshot arrived, recomputes every verdict once. Only admins
// (and the scheduler, as system) may. A failed source keeps its last good
// snapshot and is reported in its result; sources that run declined are
// left out of the results.
func (s *Service) RefreshSources(ctx context.Context, f registry.Fetcher, sources []registry.Source, run RunRefresh) ([]SourceRefresh, Recomputation, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return nil, Recomputation{}, err
	}
	var out []SourceRefresh
	var fresh []registry.Snapshot
	for _, src := range sources {
		res := SourceRefresh{Source: src}
		refresh := func(ctx context.Context) (err error) {
			res.Snapshot, err = s.registries.Refresh(ctx, f, src)
			return err
		}
		if run == nil {
			res.Err = refresh(ctx)
		} else if ran, err := run(ctx, src, refresh); err != nil {
			res.Err = err
		} else if !ran {
			continue
		}
		out = append(out, res)
		if res.Err == nil {
			fresh = append(fresh, res.Snapshot)
		}
	}
	if len(fresh) == 0 {
		return out, Recomputation{}, nil
	}
	what := "the new snapshot"
	if len(fresh) > 1 {
		what = "every new snapshot"
	}
	return out, s.recomputeAfterSnapshots(ctx, fresh, what), nil
}

// RefreshSource fetches one configured source now, stores its snapshot and
// recomputes every verdict. Only admins may. A failed fetch is the error
// (the last good snapshot stays, the source's status records why).
func (s *Service) RefreshSource(ctx context.Context, f registry.Fetcher, sourceID int64) (SnapshotChange, error) {
	src, err := s.registries.Source(ctx, sourceID)
	if err != nil {
		return SnapshotChange{}, err
	}
	results, rc, err := s.RefreshSources(ctx, f, []registry.Source{src}, nil)
	if err != nil {
		return SnapshotChange{}, err
	}
	if results[0].Err != nil {
		return SnapshotChange{}, results[0].Err
	}
	return SnapshotChange{Snapshot: results[0].Snapshot, Recomputation: rc}, nil
}

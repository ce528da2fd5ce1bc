package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// jobRefresh names scheduled registry fetches in job_runs; each source's due
// firing is its own slot (dueSlot).
const jobRefresh = "registry-refresh"

// RefreshResult is what one source's refresh did.
type RefreshResult struct {
	Source   registry.Source
	Snapshot registry.Snapshot
	Err      error
}

// RefreshSources fetches registry sources (every enabled one when all is
// true, else those whose schedule is due) and recomputes the verdicts once
// if any new snapshot arrived. A failed source keeps its last good snapshot.
// On schedule (all false) every replica calls it each minute, and a due
// source is fetched by the one replica that claims its firing; the others
// leave it out of their results.
func RefreshSources(ctx context.Context, db *gorm.DB, f registry.Fetcher, all bool) ([]RefreshResult, error) {
	ctx = access.With(ctx, access.System("registry-refresh"))
	store := registry.NewStore(db)
	sources, err := store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	var out []RefreshResult
	fresh := false
	now := time.Now().UTC()
	for _, src := range sources {
		firing, due := src.Due(now)
		if !src.Enabled || (!all && !due) {
			continue
		}
		res := RefreshResult{Source: src}
		refresh := func(ctx context.Context) (err error) {
			res.Snapshot, err = store.Refresh(ctx, f, src)
			return err
		}
		if all {
			res.Err = refresh(ctx)
		} else if r, err := claim(ctx, db, jobRefresh, dueSlot(src, firing)); err != nil {
			res.Err = err
		} else if r == nil {
			continue // another replica fetches this firing
		} else {
			res.Err = r.do(ctx, refresh)
		}
		out = append(out, res)
		fresh = fresh || res.Err == nil
	}
	if fresh {
		if _, err := verdicts.New(db).Recompute(ctx, nil); err != nil {
			return out, fmt.Errorf("new snapshots stored, but verdicts were not recomputed: %w", err)
		}
	}
	return out, nil
}

// dueSlot names the firing a source is due for (the first after its last
// attempt, which a refresh moves on), so every replica that reads the
// source before the fetch is recorded names the same slot.
func dueSlot(src registry.Source, firing time.Time) string {
	if firing.IsZero() {
		return fmt.Sprintf("source %d: first", src.ID)
	}
	return fmt.Sprintf("source %d: %s", src.ID, firing.UTC().Format(time.RFC3339))
}

// refreshDue runs every minute on every replica; each due source is fetched once.
func refreshDue(ctx context.Context, db *gorm.DB, log *slog.Logger, f registry.Fetcher) {
	results, err := RefreshSources(ctx, db, f, false)
	for _, r := range results {
		if r.Err != nil {
			log.Warn("registry refresh failed: the last good snapshot stays", "scheme", r.Source.Scheme, "source", r.Source.URL, "err", r.Err)
		} else {
			log.Info("registry refreshed", "scheme", r.Source.Scheme, "snapshot", r.Snapshot.ID, "entries", r.Snapshot.EntryCount,
				"added", r.Snapshot.Added, "changed", r.Snapshot.Changed, "revoked", r.Snapshot.Revoked, "expired", r.Snapshot.Expired)
		}
	}
	if err != nil {
		log.Error("registry refresh", "err", err)
	}
}

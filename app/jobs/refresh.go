package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

const lockRefresh = 0x43415343_00000011

// RefreshResult is what one source's refresh did.
type RefreshResult struct {
	Source   registry.Source
	Snapshot registry.Snapshot
	Err      error
}

// RefreshSources fetches registry sources (every enabled one when all is
// true, else those whose schedule is due) and recomputes the verdicts once
// if any new snapshot arrived. A failed source keeps its last good snapshot.
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
		if !src.Enabled || (!all && !src.Due(now)) {
			continue
		}
		snap, err := store.Refresh(ctx, f, src)
		out = append(out, RefreshResult{Source: src, Snapshot: snap, Err: err})
		fresh = fresh || err == nil
	}
	if fresh {
		if _, err := verdicts.New(db).Recompute(ctx, nil); err != nil {
			return out, fmt.Errorf("new snapshots stored, but verdicts were not recomputed: %w", err)
		}
	}
	return out, nil
}

// refreshDue runs every minute; one replica refreshes the sources that are due.
func refreshDue(ctx context.Context, db *gorm.DB, log *slog.Logger) {
	_, err := database.WithLock(ctx, db, lockRefresh, func(ctx context.Context) error {
		results, err := RefreshSources(ctx, db, registry.DefaultFetcher, false)
		for _, r := range results {
			if r.Err != nil {
				log.Warn("registry refresh failed: the last good snapshot stays", "scheme", r.Source.Scheme, "source", r.Source.URL, "err", r.Err)
			} else {
				log.Info("registry refreshed", "scheme", r.Source.Scheme, "snapshot", r.Snapshot.ID, "entries", r.Snapshot.EntryCount,
					"added", r.Snapshot.Added, "changed", r.Snapshot.Changed, "revoked", r.Snapshot.Revoked, "expired", r.Snapshot.Expired)
			}
		}
		return err
	})
	if err != nil {
		log.Error("registry refresh", "err", err)
	}
}

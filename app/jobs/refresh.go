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

// RefreshSources fetches registry sources (every enabled one when all is
// true, else those whose schedule is due) and recomputes the verdicts once
// if any new snapshot arrived (verdicts.Service.RefreshSources). A failed
// source keeps its last good snapshot. On schedule (all false) every
// replica calls it each minute, and a due source is fetched by the one
// replica that claims its firing; the others leave it out of their results.
func RefreshSources(ctx context.Context, db *gorm.DB, f registry.Fetcher, all bool) ([]verdicts.SourceRefresh, verdicts.Recomputation, error) {
	ctx = access.With(ctx, access.System("registry-refresh"))
	sources, err := registry.NewStore(db).Sources(ctx)
	if err != nil {
		return nil, verdicts.Recomputation{}, err
	}
	now := time.Now().UTC()
	var due []registry.Source
	firings := map[int64]time.Time{}
	for _, src := range sources {
		firing, ok := src.Due(now)
		if !src.Enabled || (!all && !ok) {
			continue
		}
		due, firings[src.ID] = append(due, src), firing
	}
	var run verdicts.RunRefresh
	if !all {
		cl := newClaims(db)
		run = func(ctx context.Context, src registry.Source, refresh func(context.Context) error) (bool, error) {
			r, err := cl.claim(ctx, jobRefresh, dueSlot(src, firings[src.ID]))
			if err != nil {
				return true, err
			}
			if r == nil {
				return false, nil // another replica fetches this firing
			}
			return true, r.do(ctx, refresh)
		}
	}
	return verdicts.New(db).RefreshSources(ctx, f, due, run)
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
	results, rc, err := RefreshSources(ctx, db, f, false)
	for _, r := range results {
		if r.Err != nil {
			log.Warn("registry refresh failed: the last good snapshot stays", "scheme", r.Source.Scheme, "source", r.Source.URL, "err", r.Err)
		} else {
			log.Info("registry refreshed", "scheme", r.Source.Scheme, "snapshot", r.Snapshot.ID, "entries", r.Snapshot.EntryCount,
				"added", r.Snapshot.Added, "changed", r.Snapshot.Changed, "revoked", r.Snapshot.Revoked, "expired", r.Snapshot.Expired)
		}
	}
	if rc.Pending != nil {
		log.Warn("registry refreshed, but verdicts not recomputed: the nightly re-evaluation recomputes them", "code", rc.Pending.Code, "err", rc.Pending)
	}
	if err != nil {
		log.Error("registry refresh", "err", err)
	}
}

// Package jobs runs Cascade's scheduled work: every scheduled job is
// registered here, in one place, with its cron expression validated at start.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/access"
	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// Lock keys: one per job, shared by every replica.
const (
	lockNightly = 0x43415343_00000010
)

// Schedule is when the jobs run (cron expressions, UTC).
type Schedule struct {
	Nightly string // re-evaluate every verdict: support periods and labels end with time
}

// DefaultSchedule runs the nightly re-evaluation at 02:15 UTC.
var DefaultSchedule = Schedule{Nightly: "15 2 * * *"}

// Start schedules the jobs and returns a function that stops them, waiting
// for a running job to finish.
func Start(ctx context.Context, db *gorm.DB, log *slog.Logger, s Schedule) (stop func(), err error) {
	logger := cron.VerbosePrintfLogger(slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	if _, err := c.AddFunc(s.Nightly, func() { Nightly(ctx, db, log) }); err != nil {
		return nil, fmt.Errorf("nightly schedule %q: %w", s.Nightly, err)
	}
	// Registry sources carry their own schedules; each minute, the due ones are fetched.
	if _, err := c.AddFunc("* * * * *", func() { refreshDue(ctx, db, log) }); err != nil {
		return nil, err
	}
	c.Start()
	return func() { <-c.Stop().Done() }, nil
}

// Nightly recomputes every verdict as of today, once per day whatever the
// number of replicas: the first replica to claim the day's slot runs it,
// under an advisory lock so a slow run never overlaps a late one.
func Nightly(ctx context.Context, db *gorm.DB, log *slog.Logger) {
	ctx = access.With(ctx, access.System("nightly"))
	start := time.Now()
	slot := start.UTC().Format("2006-01-02")
	mine, err := claim(ctx, db, "nightly", slot)
	if err != nil {
		log.Error("nightly re-evaluation: cannot claim the run", "err", err)
		return
	}
	if !mine {
		log.Info("nightly re-evaluation skipped: another replica runs it", "slot", slot)
		return
	}
	ran, err := database.WithLock(ctx, db, lockNightly, func(ctx context.Context) error {
		st, err := verdicts.New(db).Recompute(ctx, nil)
		if err == nil {
			log.Info("nightly re-evaluation", "policy", st.PolicyVersion, "as_of", st.AsOf, "verdicts", st.Verdicts,
				"written", st.Written, "changed", st.Changed, "seconds", time.Since(start).Seconds())
		}
		return err
	})
	finish(ctx, db, "nightly", slot, err)
	switch {
	case err != nil:
		log.Error("nightly re-evaluation failed", "err", err)
	case !ran:
		log.Info("nightly re-evaluation skipped: another replica holds the lock")
	}
}

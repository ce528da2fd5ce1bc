// Package jobs runs Cascade's scheduled work: every scheduled job is
// registered here, in one place, with its cron expression validated at start.
// However many replicas fire a job, each firing (a slot) runs once: the
// replica that claims the slot in job_runs runs it (claim.go).
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/app/notify"
	"github.com/cascade-gate/cascade/catalog/registry"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// jobNightly names the nightly re-evaluation in job_runs.
const jobNightly = "nightly"

// Schedule is when the jobs run (cron expressions, UTC) and what their
// outgoing requests may reach.
type Schedule struct {
	Nightly  string          // re-evaluate the verdicts due: support periods and labels end with time
	Outbound outbound.Policy // registry fetches and webhooks: internal networks only where allowed
	Webhooks notify.Options  // the webhook delivery worker (its Outbound is the one above)
	Mail     *Mail           // the e-mail digests; nil without an SMTP server
}

// DefaultSchedule runs the nightly re-evaluation five minutes into each
// day (UTC): the verdicts due that day (a support end, a label's expiry)
// are re-evaluated as it begins, so the stored verdicts, the change feed
// and every page agree with the gate within minutes. (The gate, the
// listing feed and the facts cards read an allowed verdict as blocked from
// its block date anyway: catalog/verdicts/duenow.go.)
var DefaultSchedule = Schedule{Nightly: "5 0 * * *"}

// Start schedules the jobs and returns a function that stops them, waiting
// for a running job to finish.
func Start(ctx context.Context, db *gorm.DB, log *slog.Logger, s Schedule) (stop func(), err error) {
	logger := cron.VerbosePrintfLogger(slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	c := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	cl := newClaims(db)
	if _, err := c.AddFunc(s.Nightly, func() { nightly(ctx, cl, log) }); err != nil {
		return nil, fmt.Errorf("nightly schedule %q: %w", s.Nightly, err)
	}
	// Each minute, every replica looks for a night's run whose replica died.
	if _, err := c.AddFunc("* * * * *", func() { resumeNightly(ctx, cl, log) }); err != nil {
		return nil, err
	}
	// Each minute, every replica fails the imports whose process died (on
	// another host: no heartbeat for imports.StaleAfter), so a supplier's
	// page does not show a dead import as running until its next upload.
	if _, err := c.AddFunc("* * * * *", func() { recoverImports(ctx, db, log) }); err != nil {
		return nil, err
	}
	if m := s.Mail; m != nil {
		if _, err := c.AddFunc(m.Digest, func() { sendMail(ctx, cl, log, *m, false, cl.now()) }); err != nil {
			return nil, fmt.Errorf("digest schedule %q: %w", m.Digest, err)
		}
		if _, err := c.AddFunc(m.Summary, func() { sendMail(ctx, cl, log, *m, true, cl.now()) }); err != nil {
			return nil, fmt.Errorf("summary schedule %q: %w", m.Summary, err)
		}
	}
	// Registry sources carry their own schedules; each minute, the due ones are fetched.
	fetcher := registry.NewFetcher(s.Outbound)
	if _, err := c.AddFunc("* * * * *", func() { refreshDue(ctx, db, log, fetcher) }); err != nil {
		return nil, err
	}
	c.Start()
	// Webhooks: every replica enqueues and delivers; each delivery is claimed by one.
	hooks := s.Webhooks
	hooks.Outbound = s.Outbound
	hookCtx, stopHooks := context.WithCancel(ctx)
	delivered := make(chan struct{})
	go func() { defer close(delivered); notify.NewWorker(db, log, hooks).Run(hookCtx) }()
	return func() { stopHooks(); <-delivered; <-c.Stop().Done() }, nil
}

// Nightly recomputes every verdict as of today, once a day whatever the
// number of replicas: the first replica to claim the day's slot runs it, the
// others skip it and record nothing.
func Nightly(ctx context.Context, db *gorm.DB, log *slog.Logger) { nightly(ctx, newClaims(db), log) }

func nightly(ctx context.Context, c claims, log *slog.Logger) {
	slot := c.now().Format(time.DateOnly)
	r, err := c.claim(ctx, jobNightly, slot)
	if err != nil {
		log.Error("nightly re-evaluation: cannot claim the run", "err", err)
		return
	}
	if r == nil {
		log.Info("nightly re-evaluation skipped: another replica runs it", "slot", slot)
		return
	}
	runNightly(ctx, log, r)
}

// resumeNightly takes today's run over if the replica that claimed it died
// (or stopped) before finishing it: the schedule fires once a day, so without
// this the night would be lost. A day nobody claimed is left to the schedule.
func resumeNightly(ctx context.Context, c claims, log *slog.Logger) {
	slot := c.now().Format(time.DateOnly)
	stale, err := c.hasStaleClaim(ctx, jobNightly, slot)
	if err != nil {
		log.Error("nightly re-evaluation: cannot check for an abandoned run", "err", err)
		return
	}
	if !stale {
		return
	}
	r, err := c.claim(ctx, jobNightly, slot)
	if err != nil {
		log.Error("nightly re-evaluation: cannot claim the run", "err", err)
		return
	}
	if r != nil { // nil: another replica took it over first
		runNightly(ctx, log, r)
	}
}

func runNightly(ctx context.Context, log *slog.Logger, r *run) {
	ctx = access.With(ctx, access.System("nightly"))
	start := time.Now()
	if r.attempt > 1 {
		log.Warn("nightly re-evaluation taken over from a replica that stopped before finishing it", "slot", r.slot, "attempt", r.attempt)
	}
	var st verdicts.Stats
	err := r.do(ctx, func(ctx context.Context) (err error) {
		st, err = verdicts.New(r.db).Reevaluate(ctx, false)
		return err
	})
	if err != nil {
		log.Error("nightly re-evaluation failed", "slot", r.slot, "err", err)
		return
	}
	log.Info("nightly re-evaluation", "policy", st.PolicyVersion, "as_of", st.AsOf, "verdicts", st.Verdicts,
		"written", st.Written, "changed", st.Changed, "seconds", time.Since(start).Seconds())
}

func recoverImports(ctx context.Context, db *gorm.DB, log *slog.Logger) {
	n, err := imports.RecoverAbandoned(ctx, db)
	switch {
	case err != nil:
		log.Error("recovering abandoned imports", "err", err)
	case n > 0:
		log.Warn("failed imports whose process stopped", "batches", n)
	}
}

package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"gorm.io/gorm"
)

// replica names this process in job_runs.
var replica = func() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), time.Now().UTC().Format("150405.000000"))
}()

// Lease is how long a claim on a job's slot holds without a heartbeat. The
// claimant renews it every Lease/4 while the job runs, so a claim neither
// finished nor renewed for Lease belongs to a replica that died, and another
// replica takes the slot over.
const Lease = 2 * time.Minute

// claims makes and keeps this replica's claims on job slots. Its lease and
// clock are Lease and the system clock but in tests, which set their own.
type claims struct {
	db         *gorm.DB
	lease      time.Duration
	renewEvery time.Duration    // lease/4
	now        func() time.Time // UTC
}

func newClaims(db *gorm.DB) claims {
	return claims{db: db, lease: Lease, renewEvery: Lease / 4, now: func() time.Time { return time.Now().UTC() }}
}

// errTakenOver ends a run whose claim another replica took over: this one
// had not renewed it within the lease, so it was taken for dead.
var errTakenOver = errors.New("another replica took the run over: this replica had not renewed its claim within the lease")

// staleClaim selects a job_runs row whose claimant died: neither finished nor
// renewed since the cut-off (now minus the lease).
const staleClaim = "job_runs.finished_at IS NULL AND job_runs.heartbeat_at < ?"

// run is this replica's claim on one slot of a job.
type run struct {
	claims
	job, slot string
	attempt   int // the claim's fencing token: 1, then one more at each takeover
}

// claim takes job's slot (one firing of its schedule, e.g. the night's date)
// for this replica in one atomic statement: a new slot is inserted, a slot
// whose claim went stale is taken over. A slot that another replica holds or
// has finished gives nil, and the caller skips it without recording anything.
// So each slot runs once however many replicas fire it, and again only if its
// replica stopped before finishing it.
func (c claims) claim(ctx context.Context, job, slot string) (*run, error) {
	now := c.now()
	r := &run{claims: c, job: job, slot: slot}
	err := c.db.WithContext(ctx).Raw(`INSERT INTO job_runs (job, slot, replica, started_at, heartbeat_at, attempt) VALUES (?, ?, ?, ?, ?, 1)
		ON CONFLICT (job, slot) DO UPDATE SET replica = excluded.replica, started_at = excluded.started_at,
			heartbeat_at = excluded.heartbeat_at, outcome = '', attempt = job_runs.attempt + 1
		WHERE `+staleClaim+`
		RETURNING attempt`, job, slot, replica, now, now, now.Add(-c.lease)).Row().Scan(&r.attempt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("claim %s %s: %w", job, slot, err)
	}
	return r, nil
}

// hasStaleClaim reports whether job's slot was claimed by a replica that
// stopped before finishing it.
func (c claims) hasStaleClaim(ctx context.Context, job, slot string) (bool, error) {
	var n int64
	err := c.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM job_runs WHERE job = ? AND slot = ? AND "+staleClaim,
		job, slot, c.now().Add(-c.lease)).Scan(&n).Error
	return n > 0, err
}

// do runs fn under the claim and records how it ended. While fn runs the
// claim is renewed every renewEvery (a quarter of the lease); if another replica took it over meanwhile
// (this one stalled past the lease), fn's context is cancelled and the row is
// left to the new claimant. A run cut short by this replica's shutdown
// releases its claim, so another replica takes the slot over on its next
// tick rather than the slot being lost.
func (r *run) do(ctx context.Context, fn func(context.Context) error) error {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(r.renewEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				// A failed renewal is retried: the claim is lost only when the row says so.
				if held, err := r.renew(runCtx); err == nil && !held {
					cancel(errTakenOver)
					return
				}
			}
		}
	}()
	err := fn(runCtx)
	close(stop)
	<-stopped
	switch {
	case errors.Is(context.Cause(runCtx), errTakenOver):
		return errTakenOver
	case err != nil && ctx.Err() != nil:
		return errors.Join(err, r.release(ctx))
	}
	return r.finish(ctx, err)
}

// renew refreshes the claim's heartbeat; held is false once another replica
// has taken the claim over.
func (r *run) renew(ctx context.Context) (held bool, err error) {
	res := r.db.WithContext(ctx).Exec("UPDATE job_runs SET heartbeat_at = ? WHERE job = ? AND slot = ? AND attempt = ? AND finished_at IS NULL",
		r.now(), r.job, r.slot, r.attempt)
	return res.RowsAffected > 0, res.Error
}

// release makes the claim stale at once, for another replica to take over.
func (r *run) release(ctx context.Context) error {
	err := r.db.WithContext(context.WithoutCancel(ctx)).Exec(
		"UPDATE job_runs SET heartbeat_at = ?, outcome = ? WHERE job = ? AND slot = ? AND attempt = ? AND finished_at IS NULL",
		time.Unix(0, 0).UTC(), "interrupted: this replica was stopping", r.job, r.slot, r.attempt).Error
	if err != nil {
		return fmt.Errorf("release the claim on %s %s: %w", r.job, r.slot, err)
	}
	return nil
}

// finish records the run's outcome ("ok" or the error), unless another
// replica has taken the claim over.
func (r *run) finish(ctx context.Context, outcome error) error {
	msg := "ok"
	if outcome != nil {
		msg = outcome.Error()
	}
	now := r.now()
	res := r.db.WithContext(context.WithoutCancel(ctx)).Exec(
		"UPDATE job_runs SET finished_at = ?, heartbeat_at = ?, outcome = ? WHERE job = ? AND slot = ? AND attempt = ? AND finished_at IS NULL",
		now, now, msg, r.job, r.slot, r.attempt)
	switch {
	case res.Error != nil:
		return errors.Join(outcome, fmt.Errorf("record the end of %s %s: %w", r.job, r.slot, res.Error))
	case res.RowsAffected == 0:
		return errors.Join(outcome, errTakenOver)
	}
	return outcome
}

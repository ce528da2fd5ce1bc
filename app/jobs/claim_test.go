package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// testClock is a clock a test advances instead of sleeping for a lease to pass.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testClaims are claims on a test clock that renew every 10 ms (of real
// time), each renewal stamping the clock's time.
func testClaims(db *gorm.DB) (claims, *testClock) {
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	c := newClaims(db)
	c.now, c.renewEvery = clock.Now, 10*time.Millisecond
	return c, clock
}

// renewedAt waits until the heartbeat of job's slot reads at (a renewal
// stamped it), for at most 10 s, and reports whether it did.
func renewedAt(t *testing.T, db *gorm.DB, job, slot string, at time.Time) bool {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got, _ := readRun(t, db, job, slot); got.Heartbeat.Equal(at) {
			return true
		}
	}
	return false
}

type jobRun struct {
	Replica   string
	Attempt   int
	Outcome   string
	Finished  bool
	Heartbeat time.Time
}

func readRun(t *testing.T, db *gorm.DB, job, slot string) (jobRun, bool) {
	t.Helper()
	var rows []jobRun
	if err := db.Raw("SELECT replica, attempt, outcome, finished_at IS NOT NULL AS finished, heartbeat_at AS heartbeat FROM job_runs WHERE job = ? AND slot = ?",
		job, slot).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return jobRun{}, false
	}
	return rows[0], true
}

func mustClaim(t *testing.T, c claims, job, slot string) *run {
	t.Helper()
	r, err := c.claim(context.Background(), job, slot)
	if err != nil || r == nil {
		t.Fatalf("claim %s %s: %v %v", job, slot, r, err)
	}
	return r
}

// TestARunningJobKeepsItsClaimPastTheLease runs a job for several leases
// while another replica keeps trying to claim its slot: the heartbeat keeps
// the claim alive, so the slot is never run twice.
func TestARunningJobKeepsItsClaimPastTheLease(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		c, clock := testClaims(db)
		r := mustClaim(t, c, "test", "slot")
		err := r.do(context.Background(), func(context.Context) error {
			for range 10 { // five leases, half a lease at a time
				clock.Advance(c.lease / 2)
				if !renewedAt(t, db, "test", "slot", clock.Now()) {
					return errors.New("the claim was not renewed")
				}
				if other, err := c.claim(context.Background(), "test", "slot"); err != nil || other != nil {
					return errors.Join(errors.New("another replica claimed a running job's slot"), err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := readRun(t, db, "test", "slot"); !got.Finished || got.Outcome != "ok" || got.Attempt != 1 {
			t.Fatalf("job_runs: %+v", got)
		}
	})
}

// TestAReplicaWhoseClaimWasTakenOverStopsAndRecordsNothing stalls a replica
// past its lease (simulated: its claim is made stale) while another takes
// the slot over: the stalled run is cancelled at its next heartbeat, and
// neither its heartbeat nor its outcome touches the new claimant's row.
func TestAReplicaWhoseClaimWasTakenOverStopsAndRecordsNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		c, clock := testClaims(db)
		stalled := mustClaim(t, c, "test", "slot")
		var successor *run
		cancelled := false
		err := stalled.do(context.Background(), func(ctx context.Context) error {
			// The stalled replica's heartbeat renews every 10 ms and may land
			// between making its claim stale and the successor's claim (it
			// did on a loaded PostgreSQL): then the slot is rightly busy, and
			// the stall is simulated again.
			for attempt := 0; successor == nil; attempt++ {
				if attempt == 100 {
					t.Error("no successor could claim the stalled replica's slot in 100 attempts")
					return nil
				}
				db.Exec("UPDATE job_runs SET heartbeat_at = ? WHERE job = 'test'", clock.Now().Add(-time.Hour))
				var err error
				if successor, err = c.claim(context.Background(), "test", "slot"); err != nil {
					t.Error(err)
					return nil
				}
			}
			select {
			case <-ctx.Done():
				cancelled = true
				return ctx.Err()
			case <-time.After(10 * time.Second): // a thousand renewals
				return nil // not cancelled: two replicas now run the slot
			}
		})
		if !cancelled || !errors.Is(err, errTakenOver) {
			t.Fatalf("the stalled run was cancelled: %v; it ended with %v, want errTakenOver", cancelled, err)
		}
		if got, _ := readRun(t, db, "test", "slot"); got.Finished || got.Attempt != 2 {
			t.Fatalf("the stalled replica wrote over its successor's claim: %+v", got)
		}
		if err := successor.finish(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if err := stalled.finish(context.Background(), errors.New("late failure")); !errors.Is(err, errTakenOver) {
			t.Fatalf("a late finish by the stalled replica: %v", err)
		}
		if got, _ := readRun(t, db, "test", "slot"); got.Outcome != "ok" || got.Attempt != 2 {
			t.Fatalf("job_runs: %+v, want the successor's outcome", got)
		}
	})
}

// TestARunCutShortByShutdownIsLeftForAnotherReplica stops a replica in the
// middle of a run: its claim is released, so another replica takes the slot
// over at once instead of the run being lost or waiting for the lease.
func TestARunCutShortByShutdownIsLeftForAnotherReplica(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		c := newClaims(db)
		ctx, shutdown := context.WithCancel(context.Background())
		err := mustClaim(t, c, "test", "slot").do(ctx, func(ctx context.Context) error {
			shutdown()
			return ctx.Err()
		})
		if err == nil {
			t.Fatal("an interrupted run reported success")
		}
		got, _ := readRun(t, db, "test", "slot")
		if got.Finished || got.Outcome == "ok" {
			t.Fatalf("an interrupted run was recorded as done: %+v", got)
		}
		if r, err := c.claim(context.Background(), "test", "slot"); err != nil || r == nil || r.attempt != 2 {
			t.Fatalf("another replica could not take the interrupted run over: %+v %v", r, err)
		}
	})
}

// TestTheMinuteTickResumesOnlyANightWhoseReplicaDied checks the tick that
// rescues a night: it runs the night when its claimant stopped renewing the
// claim, and leaves alone a night being run, one already run, and one that
// nobody claimed (that one belongs to the schedule, not to the tick).
func TestTheMinuteTickResumesOnlyANightWhoseReplicaDied(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	for _, tc := range []struct {
		name     string
		claim    bool
		beat     time.Time
		finished bool
		want     jobRun // Heartbeat not compared
	}{
		{name: "claimant died", claim: true, beat: now.Add(-Lease - time.Minute), want: jobRun{Replica: replica, Attempt: 2, Outcome: "ok", Finished: true}},
		{name: "claimant running", claim: true, beat: now.Add(-Lease / 2), want: jobRun{Replica: "other", Attempt: 1}},
		{name: "already run", claim: true, beat: now.Add(-time.Hour), finished: true, want: jobRun{Replica: "other", Attempt: 1, Outcome: "ok", Finished: true}},
		{name: "nobody claimed it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				c := newClaims(db)
				c.now = func() time.Time { return now }
				slot := now.Format(time.DateOnly)
				if tc.claim {
					var finished *time.Time
					if tc.finished {
						finished = &tc.beat
					}
					outcome := map[bool]string{true: "ok"}[tc.finished]
					db.Exec("INSERT INTO job_runs (job, slot, replica, started_at, heartbeat_at, finished_at, outcome) VALUES (?, ?, 'other', ?, ?, ?, ?)",
						jobNightly, slot, tc.beat, tc.beat, finished, outcome)
				}
				resumeNightly(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
				got, ok := readRun(t, db, jobNightly, slot)
				got.Heartbeat = time.Time{}
				if ok != tc.claim || got != tc.want {
					t.Fatalf("job_runs after the tick: %+v (row present: %v), want %+v", got, ok, tc.want)
				}
			})
		})
	}
}

package jobs_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/jobs"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// TestTheNightlyJobRunsOncePerNightAcrossReplicas fires the nightly job from
// several "replicas" (separate connection pools) at once, and again: the
// night's run happens exactly once.
func TestTheNightlyJobRunsOncePerNightAcrossReplicas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		var logs safeBuffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		var wg sync.WaitGroup
		for range 4 {
			replica, err := database.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(replica)
			wg.Go(func() { jobs.Nightly(context.Background(), replica, log) })
		}
		wg.Wait()
		jobs.Nightly(context.Background(), db, log) // a late fire the same night
		out := logs.String()
		if n := strings.Count(out, `msg="nightly re-evaluation" `); n != 1 {
			t.Fatalf("the nightly job ran %d times:\n%s", n, out)
		}
		if n := strings.Count(out, "skipped"); n != 4 {
			t.Fatalf("%d skips, want 4:\n%s", n, out)
		}
		var outcome string
		db.Raw("SELECT outcome FROM job_runs WHERE job = 'nightly'").Scan(&outcome)
		if outcome != "ok" {
			t.Fatalf("job_runs outcome %q", outcome)
		}
	})
}

// TestANightIsRunOnlyIfNoLiveReplicaHoldsIt fires the nightly job on a
// replica when the night's slot is already in job_runs: it takes over a night
// whose replica died (claimed, never finished, no heartbeat for longer than
// the lease), and skips a night that another replica is running or has
// finished, without writing anything (a skip is never recorded as a run).
func TestANightIsRunOnlyIfNoLiveReplicaHoldsIt(t *testing.T) {
	type row struct {
		Replica  string
		Attempt  int
		Outcome  string
		Finished bool
	}
	for _, tc := range []struct {
		name    string
		beatAgo time.Duration // since the other replica's last heartbeat
		outcome string        // the other replica's outcome, "" while it runs
		wantRun bool
		wantRow row // Replica "" = this replica
	}{
		{name: "the replica running it died", beatAgo: jobs.Lease + time.Minute, wantRun: true, wantRow: row{Attempt: 2, Outcome: "ok", Finished: true}},
		{name: "another replica is running it", beatAgo: jobs.Lease / 2, wantRow: row{Replica: "other", Attempt: 1}},
		{name: "another replica ran it", beatAgo: time.Hour, outcome: "ok", wantRow: row{Replica: "other", Attempt: 1, Outcome: "ok", Finished: true}},
		{name: "another replica's run failed", beatAgo: time.Hour, outcome: "boom", wantRow: row{Replica: "other", Attempt: 1, Outcome: "boom", Finished: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				beat := time.Now().UTC().Add(-tc.beatAgo)
				var finished *time.Time
				if tc.outcome != "" {
					finished = &beat
				}
				slot := time.Now().UTC().Format(time.DateOnly)
				if err := db.Exec("INSERT INTO job_runs (job, slot, replica, started_at, heartbeat_at, finished_at, outcome) VALUES ('nightly', ?, 'other', ?, ?, ?, ?)",
					slot, beat, beat, finished, tc.outcome).Error; err != nil {
					t.Fatal(err)
				}
				var logs safeBuffer
				jobs.Nightly(context.Background(), db, slog.New(slog.NewTextHandler(&logs, nil)))
				if ran := strings.Contains(logs.String(), `msg="nightly re-evaluation" `); ran != tc.wantRun {
					t.Fatalf("ran %v, want %v:\n%s", ran, tc.wantRun, logs.String())
				}
				var got []row
				db.Raw("SELECT replica, attempt, outcome, finished_at IS NOT NULL AS finished FROM job_runs WHERE job = 'nightly'").Scan(&got)
				want := tc.wantRow
				if want.Replica == "" && len(got) == 1 && got[0].Replica != "other" {
					want.Replica = got[0].Replica
				}
				if len(got) != 1 || got[0] != want {
					t.Fatalf("job_runs: %+v, want %+v", got, want)
				}
			})
		})
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

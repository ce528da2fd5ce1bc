package jobs_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/app/database/dbtest"
	"github.com/cascade-gate/cascade/app/jobs"
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

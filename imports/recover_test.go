package imports

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/vendors"
)

var system = access.With(context.Background(), access.System("test"))

// recoveryCase is a supplier, a one-row file and an importer that looks to
// this process like one on another host. The recovery is run with
// afterStale: by its clock, every heartbeat the importer sent is stale.
func recoveryCase(t *testing.T, db *gorm.DB) (*Importer, Request) {
	t.Helper()
	im := New(db, DefaultLimits)
	im.owner = "another-host:1:0000"
	return im, oneRowRequest(t, db)
}

// afterStale is the clock of a replica that looks at the batches once
// their latest heartbeat (on the system clock) has gone stale.
var afterStale = WithClock(func() time.Time { return time.Now().UTC().Add(StaleAfter + time.Minute) })

// oneRowRequest registers a supplier and writes it a file of one valid row.
func oneRowRequest(t *testing.T, db *gorm.DB) Request {
	t.Helper()
	sup, err := vendors.NewStore(db).Create(system, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p.csv")
	csv := "sku,gtin,brand,model,category,markets\nA,4006381333931,Acme,M1,smart_plug,UK\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	return Request{SupplierID: sup.ID, FileName: "p.csv", Path: path}
}

func countRows(t *testing.T, db *gorm.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(query, args...).Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A replica that finds a committing batch's heartbeat stale must wait for
// the commit, not fail the batch under it (on PostgreSQL that used to
// deadlock: the recovery held the batch row, the commit its staged rows).
func TestRecoveryWaitsForABatchThatIsCommitting(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		im, req := recoveryCase(t, db)
		type outcome struct {
			failed int
			err    error
		}
		recovered := make(chan outcome, 1)
		im.OnCommit = func(ctx context.Context, tx *gorm.DB, batchID int64) error {
			go func() {
				n, err := RecoverAbandoned(context.Background(), db, afterStale)
				recovered <- outcome{n, err}
			}()
			select {
			case o := <-recovered:
				recovered <- o // the recovery did not wait for the commit
			case <-time.After(300 * time.Millisecond):
			}
			return nil
		}
		b, err := im.Import(system, req)
		if err != nil || b.Status != StatusCommitted {
			t.Fatalf("import: %v (%s %s)", err, b.Status, b.Error)
		}
		o := <-recovered
		if o.err != nil || o.failed != 0 {
			t.Fatalf("recovery failed %d batches: %v", o.failed, o.err)
		}
		var status string
		db.Raw("SELECT status FROM import_batches WHERE id = ?", b.ID).Row().Scan(&status)
		if status != StatusCommitted {
			t.Fatalf("batch is %s after the recovery", status)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM products WHERE batch_id = ?", b.ID); n != 1 {
			t.Fatalf("%d products stored", n)
		}
	})
}

// A batch another replica has already failed as abandoned must not commit
// afterwards: the supplier was told nothing was stored.
func TestABatchFailedAsAbandonedDoesNotCommit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		im, req := recoveryCase(t, db)
		b, err := im.Start(system, req)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := RecoverAbandoned(context.Background(), db, afterStale); err != nil || n != 1 {
			t.Fatalf("recovery failed %d batches: %v", n, err)
		}
		_, err = im.Run(system, b, req)
		if !errors.Is(err, ErrInterrupted) || errs.CodeOf(err) != "INTERRUPTED" {
			t.Fatalf("run of a failed batch: %v", err)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM products"); n != 0 {
			t.Fatalf("%d products stored by a failed batch", n)
		}
		var status string
		db.Raw("SELECT status FROM import_batches WHERE id = ?", b.ID).Row().Scan(&status)
		if status != StatusFailed {
			t.Fatalf("batch is %s", status)
		}
	})
}

// A batch that sent a heartbeat after the recovery looked at it is alive.
func TestRecoveryLeavesABatchWithAFresherHeartbeat(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		im, req := recoveryCase(t, db)
		b, err := im.Start(system, req)
		if err != nil {
			t.Fatal(err)
		}
		seen := *b.HeartbeatAt
		seen = seen.Add(-time.Second) // what the recovery saw, before the latest heartbeat
		b.HeartbeatAt = &seen
		failed, err := failAbandoned(context.Background(), db, b, time.Now().UTC())
		if err != nil || failed {
			t.Fatalf("failed a batch with a fresher heartbeat: %v %v", failed, err)
		}
		if b, err = im.Run(system, b, req); err != nil || b.Status != StatusCommitted {
			t.Fatalf("run: %v %+v", err, b)
		}
	})
}

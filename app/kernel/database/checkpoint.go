package database

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// SQLite's writers checkpoint the write-ahead log themselves by default: the
// commit that takes the WAL past 1,000 pages copies them into the database
// file and syncs it, on that request's time (a tenth of a first evaluation,
// issue #18). Cascade's connections leave that to a goroutine of their own,
// which checkpoints what was committed every checkpointEvery, beside the
// writer; a writer checkpoints itself only when the WAL has grown past
// backstopPages anyway (the checkpointer stuck or far behind).
const (
	sqliteDriver    = "cascade_sqlite3"
	checkpointEvery = 100 * time.Millisecond
	backstopPages   = 65536    // 256 MiB of 4 KiB pages
	walSizeLimit    = 64 << 20 // bytes: a WAL that grew past it is truncated back after a checkpoint
)

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, pragma := range []string{
			fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", backstopPages),
			fmt.Sprintf("PRAGMA journal_size_limit = %d", walSizeLimit),
		} {
			if _, err := c.Exec(pragma, nil); err != nil {
				return fmt.Errorf("%s: %w", pragma, err)
			}
		}
		return nil
	}})
}

// checkpointers holds the running checkpointer of each open SQLite database,
// so that Close stops it before closing the connections.
var checkpointers sync.Map // *sql.DB → *checkpointer

type checkpointer struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startCheckpointer checkpoints db's WAL every checkpointEvery until Close.
func startCheckpointer(db *sql.DB) {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{cancel: cancel, done: make(chan struct{})}
	checkpointers.Store(db, c)
	go c.run(ctx, db)
}

func (c *checkpointer) run(ctx context.Context, db *sql.DB) {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// PASSIVE copies what no reader still needs and never waits for a
		// lock, so it delays neither readers nor the writer; what it could
		// not copy is copied on a later tick.
		_, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			slog.Warn("SQLite checkpoints are failing; writers will checkpoint the WAL themselves past its backstop", "error", err)
			failing = true
		case err == nil && failing:
			slog.Info("SQLite checkpoints work again")
			failing = false
		}
	}
}

// stopCheckpointer stops db's checkpointer, if it has one, and waits for it.
func stopCheckpointer(db *sql.DB) {
	if v, ok := checkpointers.LoadAndDelete(db); ok {
		c := v.(*checkpointer)
		c.cancel()
		<-c.done
	}
}

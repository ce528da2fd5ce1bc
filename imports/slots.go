package imports

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// Each running import holds one connection of the pool from start to end
// (its staging lives there). importSlots bounds how many run at once in a
// process, so that a burst of uploads leaves connections for everything
// else; the other imports wait for a slot.
func importSlots(db *gorm.DB) chan struct{} {
	n := 4
	if sqlDB, err := db.DB(); err == nil {
		if open := sqlDB.Stats().MaxOpenConnections; open > 0 {
			n = max(1, open/4)
		}
	}
	return make(chan struct{}, n)
}

// waitForSlot waits until the import of batch may run and returns the
// function that gives the slot back. While it waits it keeps the batch's
// heartbeat, so that other replicas do not take it for abandoned. A
// heartbeat that cannot be written (the database busy with another
// import's commit) is tried again at the next tick; only a batch another
// replica has failed meanwhile stops the wait.
func (im *Importer) waitForSlot(ctx context.Context, batchID int64) (release func(), err error) {
	tick := time.NewTicker(im.heartbeatEvery)
	defer tick.Stop()
	for {
		select {
		case im.slots <- struct{}{}:
			return func() { <-im.slots }, nil
		case <-tick.C:
			if batchID == 0 { // a dry run: no batch is recorded to keep alive
				continue
			}
			err := heartbeat(im.db.WithContext(ctx), batchID, im.now(), nil)
			if errors.Is(err, ErrInterrupted) {
				return nil, err
			}
			if err != nil {
				slog.WarnContext(ctx, "import heartbeat not written while waiting for a slot", "batch", batchID, "error", err)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

package imports

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gorm.io/gorm"
)

// processOwner names this process in the batches it runs: host, pid and a
// random id, so a restarted process with a reused pid is not mistaken for it.
var processOwner = func() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}()

// StaleAfter is how long a running batch may go without a heartbeat before
// a process on another host considers it abandoned.
const StaleAfter = 2 * time.Minute

// RecoverAbandoned marks failed every running batch whose process is gone:
// on this host, a dead pid; elsewhere, no heartbeat for StaleAfter. The
// products table was never touched by such a batch (it merges in one
// transaction at the end), so the previous state is intact; its staged rows
// were in temporary tables of the dead process's connection, gone with it.
// It returns how many batches it failed. Options set its clock and the
// stale-after time, as they do an Importer's.
func RecoverAbandoned(ctx context.Context, db *gorm.DB, opts ...Option) (int, error) {
	return recoverAbandoned(ctx, db, newOptions(opts))
}

func recoverAbandoned(ctx context.Context, db *gorm.DB, o options) (int, error) {
	var running []Batch
	if err := db.WithContext(ctx).Where("status = ?", StatusRunning).Find(&running).Error; err != nil {
		return 0, err
	}
	host, _ := os.Hostname()
	now := o.now()
	failed := 0
	for _, b := range running {
		if b.Owner == processOwner {
			continue // ours, and we are alive
		}
		if !abandoned(b, host, now, o.staleAfter) {
			continue
		}
		ok, err := failAbandoned(ctx, db, b, now)
		if err != nil {
			return failed, err
		}
		if ok {
			failed++
		}
	}
	return failed, nil
}

// failAbandoned marks b failed unless, by the time its row can be locked,
// it has committed or sent a fresh heartbeat (a committing batch holds its
// row until it ends). It reports whether it failed b.
func failAbandoned(ctx context.Context, db *gorm.DB, b Batch, now time.Time) (bool, error) {
	failed := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Table("import_batches").Where("id = ? AND status = ?", b.ID, StatusRunning)
		if b.HeartbeatAt != nil {
			q = q.Where("heartbeat_at IS NULL OR heartbeat_at <= ?", *b.HeartbeatAt)
		}
		res := q.Updates(map[string]any{
			"status": StatusFailed, "finished_at": now,
			"error": "INTERRUPTED: the process running this import stopped before it finished; nothing of this file was stored. Upload it again.",
		})
		failed = res.Error == nil && res.RowsAffected == 1
		return res.Error
	})
	return failed, err
}

func abandoned(b Batch, host string, now time.Time, staleAfter time.Duration) bool {
	parts := strings.Split(b.Owner, ":")
	if len(parts) == 3 && parts[0] == host {
		if pid, err := strconv.Atoi(parts[1]); err == nil && pid > 0 && !processAlive(pid) {
			return true
		}
	}
	return b.HeartbeatAt == nil || now.Sub(*b.HeartbeatAt) > staleAfter
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

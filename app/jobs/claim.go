package jobs

import (
	"context"
	"errors"
	"os"
	"time"

	"gorm.io/gorm"
)

// replica names this process in job_runs.
var replica = func() string {
	host, _ := os.Hostname()
	return host + ":" + time.Now().UTC().Format("150405.000000")
}()

// claim records that this replica runs job for slot (a schedule's firing,
// e.g. the night's date). Only the first replica to claim a slot gets true:
// the others skip it, so a scheduled job runs once per slot however many
// replicas fire it.
func claim(ctx context.Context, db *gorm.DB, job, slot string) (bool, error) {
	err := db.WithContext(ctx).Exec("INSERT INTO job_runs (job, slot, replica, started_at) VALUES (?, ?, ?, ?)",
		job, slot, replica, time.Now().UTC()).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return false, nil
	}
	return err == nil, err
}

func finish(ctx context.Context, db *gorm.DB, job, slot string, outcome error) {
	msg := "ok"
	if outcome != nil {
		msg = outcome.Error()
	}
	db.WithContext(context.WithoutCancel(ctx)).Exec("UPDATE job_runs SET finished_at = ?, outcome = ? WHERE job = ? AND slot = ?",
		time.Now().UTC(), msg, job, slot)
}

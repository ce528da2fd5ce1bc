package imports

import (
	"time"

	"gorm.io/gorm"
)

// heartbeat tells other replicas that a running batch is alive: it stamps
// the batch's heartbeat with now, along with fields (its progress), and fails with
// ErrInterrupted if the batch is no longer running (another replica took
// it for abandoned and failed it).
func heartbeat(db *gorm.DB, batchID int64, now time.Time, fields map[string]any) error {
	values := map[string]any{"heartbeat_at": now}
	for k, v := range fields {
		values[k] = v
	}
	res := db.Table("import_batches").Where("id = ? AND status = ?", batchID, StatusRunning).Updates(values)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrInterrupted
	}
	return nil
}

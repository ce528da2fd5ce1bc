package database

import (
	"context"

	"gorm.io/gorm"
)

// WithLock runs fn only if this process gets the named job lock: on
// PostgreSQL a session advisory lock, so among replicas exactly one runs a
// scheduled job; on SQLite, the single process runs it. ran reports whether fn ran.
func WithLock(ctx context.Context, db *gorm.DB, key int64, fn func(context.Context) error) (ran bool, err error) {
	if DialectOf(db) != Postgres {
		return true, fn(ctx)
	}
	// The lock belongs to a session, so lock, work and unlock on one connection.
	err = db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		var got bool
		if err := conn.Raw("SELECT pg_try_advisory_lock(?)", key).Scan(&got).Error; err != nil || !got {
			return err
		}
		defer conn.Exec("SELECT pg_advisory_unlock(?)", key)
		ran = true
		return fn(ctx)
	})
	return ran, err
}

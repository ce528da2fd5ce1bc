package database

import (
	"fmt"

	"gorm.io/gorm"
)

// TxLock names a lock that serialises one kind of write transaction across
// every process sharing the database.
type TxLock int64

// The locks, as PostgreSQL advisory lock keys: "CASC" and a number, kept
// together here so that no two kinds share a key.
const (
	LockMigrations TxLock = 0x43415343_00000001 // replicas migrating at the same start-up
	LockAuditChain TxLock = 0x43415343_00000002 // appends to the audit chain, in one line
	LockVerdicts   TxLock = 0x43415343_00000003 // stored verdicts and their change feed
)

// Lock takes l inside tx and holds it until tx ends. On PostgreSQL it is a
// transaction-scoped advisory lock. On SQLite it is nothing: every write
// transaction there begins IMMEDIATE, which already makes it run alone.
func Lock(tx *gorm.DB, l TxLock) error {
	if DialectOf(tx) != Postgres {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", int64(l)).Error; err != nil {
		return fmt.Errorf("lock %#x: %w", int64(l), err)
	}
	return nil
}

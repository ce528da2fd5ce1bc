package database

import (
	"fmt"

	"gorm.io/gorm"
)

// TxLock names a lock that serialises one kind of write transaction across
// every process sharing the database's schema.
type TxLock int32

// The locks. A transaction that takes more than one takes them in this
// order, so two transactions never wait for each other; LockAuditChain,
// taken by every audited write, comes last.
const (
	LockMigrations TxLock = 1 // replicas migrating at the same start-up
	LockUsers      TxLock = 4 // who the active admins are, and the first one
	LockPolicies   TxLock = 5 // whether a policy is active, and the first one (start-up)
	LockVerdicts   TxLock = 3 // stored verdicts and their change feed
	LockAuditChain TxLock = 2 // appends to the audit chain, in one line
)

// Lock takes l inside tx and holds it until tx ends. On PostgreSQL it is a
// transaction-scoped advisory lock, keyed by the current schema as well as
// by l: advisory locks are shared by the whole database, and two Cascades
// (or two test runs) in two schemas of one database must not queue behind
// each other, still less deadlock on each other's lock order. On SQLite it
// is nothing: every write transaction there begins IMMEDIATE, which already
// makes it run alone.
func Lock(tx *gorm.DB, l TxLock) error {
	if DialectOf(tx) != Postgres {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '')), ?)", int32(l)).Error; err != nil {
		return fmt.Errorf("lock %d: %w", l, err)
	}
	return nil
}

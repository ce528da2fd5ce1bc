package database_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// A lock serialises the transactions of one schema and no others: two
// Cascades in two schemas of one PostgreSQL database share its advisory
// locks, and must not queue behind each other.
func TestALockHeldInOneSchemaBlocksThatSchemaOnly(t *testing.T) {
	one, two := dbtest.Postgres(t), dbtest.Postgres(t)
	holder := one.Begin()
	defer holder.Rollback()
	if err := database.Lock(holder, database.LockVerdicts); err != nil {
		t.Fatal(err)
	}
	try := func(db *gorm.DB, l database.TxLock) error {
		tx := db.Begin()
		defer tx.Rollback()
		if err := tx.Exec("SET LOCAL lock_timeout = '200ms'").Error; err != nil {
			t.Fatal(err)
		}
		return database.Lock(tx, l)
	}
	if err := try(one, database.LockVerdicts); err == nil {
		t.Fatal("a second transaction of the same schema took the lock that is held")
	}
	if err := try(one, database.LockAuditChain); err != nil {
		t.Fatalf("another lock of the same schema: %v", err)
	}
	if err := try(two, database.LockVerdicts); err != nil {
		t.Fatalf("the same lock in another schema: %v", err)
	}
}

package verdicts_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/vendors"
)

// An import's commit takes the verdicts lock (to judge its offers and store
// its verdicts) and then appends to the audit chain. Another import's commit
// may meanwhile hold the verdicts lock and be about to append its own audit
// entry. If the first took the audit chain before the verdicts lock, each
// would wait for the other and PostgreSQL would fail one of them. (The first
// import of a database once installed the default policy there, appending
// to the chain first; start-up installs it now.)
func TestAFirstImportCommitsWhileAnotherCommitHoldsTheVerdictsLock(t *testing.T) {
	db := dbtest.Postgres(t)
	sup, err := vendors.NewStore(db).Create(admin, "Acme Connected Ltd")
	if err != nil {
		t.Fatal(err)
	}

	other := db.Begin() // another commit, holding the verdicts lock
	defer other.Rollback()
	if err := database.Lock(other, database.LockVerdicts); err != nil {
		t.Fatal(err)
	}
	imported := make(chan error, 1)
	go func() { imported <- importAcme(t, db, sup, true) }()
	waitForVerdictsLockWaiter(t, db, imported)

	if err := audit.Record(admin, other, "test.commit", "test", 1, nil); err != nil {
		t.Fatalf("the other commit could not append to the audit chain: %v", err)
	}
	if err := other.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-imported; err != nil {
		t.Fatalf("the first import failed: %v", err)
	}
	var n int64
	db.Table("verdicts").Count(&n)
	if n == 0 {
		t.Fatal("the first import stored no verdicts")
	}
}

// waitForVerdictsLockWaiter returns once a transaction of this schema waits
// for the verdicts lock.
func waitForVerdictsLockWaiter(t *testing.T, db *gorm.DB, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var waiting int64
		err := db.Raw(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = hashtext(current_schema())::oid AND objid = ?`, int(database.LockVerdicts)).Scan(&waiting).Error
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the import ended without waiting for the verdicts lock: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the import never reached the verdicts lock")
}

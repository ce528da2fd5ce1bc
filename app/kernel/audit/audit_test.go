package audit_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

var admin = access.With(context.Background(), access.System("test"))

func record(t *testing.T, db *gorm.DB, n int) {
	t.Helper()
	for i := range n {
		err := db.Transaction(func(tx *gorm.DB) error {
			return audit.Record(admin, tx, "thing.change", "thing", i, map[string]any{"i": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// dropAppendOnlyGuards removes every audit trigger, as an attacker who may
// change the schema (the tables' owner, a superuser, anyone who can write the
// SQLite file) could, so the chain and its checkpoints must catch what follows.
func dropAppendOnlyGuards(t *testing.T, db *gorm.DB) {
	t.Helper()
	var stmts []string
	if database.DialectOf(db) == database.Postgres {
		stmts = []string{
			"DROP TRIGGER audit_entries_append_only ON audit_entries",
			"DROP TRIGGER audit_entries_append_at_head ON audit_entries",
			"DROP TRIGGER audit_entries_no_truncate ON audit_entries",
			"DROP TRIGGER audit_head_guard ON audit_head",
			"DROP TRIGGER audit_head_no_truncate ON audit_head",
		}
	} else {
		stmts = []string{
			"DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete",
			"DROP TRIGGER audit_entries_append_at_head",
			"DROP TRIGGER audit_head_no_insert", "DROP TRIGGER audit_head_advance_only", "DROP TRIGGER audit_head_no_delete",
		}
	}
	for _, s := range stmts {
		if err := db.Exec(s).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string // SQL run after dropping the guards; "" leaves the log alone
		ok      bool
		badSeq  int64
		problem string
	}{
		{name: "untouched chain verifies", ok: true},
		{name: "edited data is detected", tamper: `UPDATE audit_entries SET data = '{"i":99}' WHERE seq = 3`, badSeq: 3, problem: "altered"},
		{name: "edited actor is detected", tamper: `UPDATE audit_entries SET actor = 'user:1:someone' WHERE seq = 2`, badSeq: 2, problem: "altered"},
		{name: "deleted middle entry is detected", tamper: `DELETE FROM audit_entries WHERE seq = 2`, badSeq: 2, problem: "missing"},
		{name: "deleted last entry is detected", tamper: `DELETE FROM audit_entries WHERE seq = 5`, badSeq: 5, problem: "head"},
		{name: "entry rehashed after editing breaks the next link", tamper: `UPDATE audit_entries SET hash = 'forged' WHERE seq = 4`, badSeq: 4, problem: "altered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				record(t, db, 5)
				if tc.tamper != "" {
					dropAppendOnlyGuards(t, db)
					if err := db.Exec(tc.tamper).Error; err != nil {
						t.Fatal(err)
					}
				}
				r, err := audit.NewLog(db).Verify(admin)
				if err != nil {
					t.Fatal(err)
				}
				if r.OK != tc.ok {
					t.Fatalf("OK = %v, want %v (%+v)", r.OK, tc.ok, r)
				}
				if tc.ok {
					if r.Entries != 5 {
						t.Fatalf("entries = %d, want 5", r.Entries)
					}
					return
				}
				if r.BadSeq != tc.badSeq || !strings.Contains(r.Problem, tc.problem) {
					t.Fatalf("report %+v, want bad seq %d mentioning %q", r, tc.badSeq, tc.problem)
				}
			})
		})
	}
}

func TestDatabaseRefusesToUpdateOrDeleteAuditEntries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		record(t, db, 2)
		if err := db.Exec(`UPDATE audit_entries SET actor = 'x' WHERE seq = 1`).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("update allowed: %v", err)
		}
		if err := db.Exec(`DELETE FROM audit_entries WHERE seq = 2`).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("delete allowed: %v", err)
		}
	})
}

func TestConcurrentAppendsKeepOneUnbrokenChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		var wg sync.WaitGroup
		errc := make(chan error, 40)
		for w := range 4 {
			wg.Go(func() {
				for i := range 10 {
					errc <- db.Transaction(func(tx *gorm.DB) error {
						return audit.Record(admin, tx, "thing.change", "thing", w*100+i, nil)
					})
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		r, err := audit.NewLog(db).Verify(admin)
		if err != nil || !r.OK || r.Entries != 40 {
			t.Fatalf("report %+v, err %v", r, err)
		}
	})
}

func TestRolledBackChangeLeavesNoAuditEntry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		_ = db.Transaction(func(tx *gorm.DB) error {
			if err := audit.Record(admin, tx, "thing.change", "thing", 1, nil); err != nil {
				return err
			}
			return gorm.ErrInvalidData // the change itself fails
		})
		var n int64
		db.Table("audit_entries").Count(&n)
		if n != 0 {
			t.Fatalf("%d entries survived a rollback", n)
		}
		r, _ := audit.NewLog(db).Verify(admin)
		if !r.OK {
			t.Fatalf("chain broken after rollback: %+v", r)
		}
	})
}

func TestOnlyAdminsReadOrVerifyTheLog(t *testing.T) {
	db := dbtest.SQLite(t)
	for _, role := range []access.Role{access.CategoryManager, access.Buyer, access.Approver, access.Supplier} {
		ctx := access.With(context.Background(), access.Principal{UserID: 9, Role: role, SupplierID: 1})
		if _, err := audit.NewLog(db).Verify(ctx); err == nil {
			t.Errorf("%s verified the log", role)
		}
		if _, err := audit.NewLog(db).List(ctx, audit.Filter{}); err == nil {
			t.Errorf("%s listed the log", role)
		}
	}
	if _, err := audit.NewLog(db).List(context.Background(), audit.Filter{}); err == nil {
		t.Error("anonymous caller listed the log")
	}
}

package audit_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

func entries(t *testing.T, db *gorm.DB) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	if err := db.Order("seq").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// forge returns e with new data, linked to prev and hashed as Record would:
// anyone can compute the chain's hashes, so a rewritten chain verifies.
func forge(e audit.Entry, prevHash, data string) audit.Entry {
	e.Data, e.PrevHash = data, prevHash
	e.Hash = audit.HashOf(e)
	return e
}

func withSeq(e audit.Entry, seq int64) audit.Entry {
	e.Seq = seq
	e.Hash = audit.HashOf(e)
	return e
}

const insertEntry = `INTO audit_entries (seq, at, actor, action, entity, entity_id, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

func insertArgs(e audit.Entry) []any {
	return []any{e.Seq, e.At, e.Actor, e.Action, e.Entity, e.EntityID, e.Data, e.PrevHash, e.Hash}
}

// assertChainUnchanged checks that the stored chain is still exactly before and verifies.
func assertChainUnchanged(t *testing.T, db *gorm.DB, before []audit.Entry) {
	t.Helper()
	after := entries(t, db)
	if len(after) != len(before) {
		t.Fatalf("%d entries after the attack, %d before", len(after), len(before))
	}
	for i := range before {
		if after[i].Hash != before[i].Hash || after[i].Data != before[i].Data {
			t.Fatalf("entry %d was rewritten: %+v", before[i].Seq, after[i])
		}
	}
	r, err := audit.NewLog(db).Verify(admin)
	if err != nil || !r.OK || r.Entries != int64(len(before)) {
		t.Fatalf("verify after the attack: %+v %v", r, err)
	}
}

// On SQLite, INSERT OR REPLACE deletes the conflicting row without firing
// DELETE triggers: re-inserting entry 3 onwards, re-chained, and then the
// head, rewrote history while `audit verify` still said intact.
func TestSQLiteInsertOrReplaceCannotRewriteTheChain(t *testing.T) {
	db := dbtest.SQLite(t)
	record(t, db, 5)
	before := entries(t, db)

	prev := before[1].Hash
	var refused []string
	for _, e := range before[2:] {
		f := forge(e, prev, `{"i":"forged"}`)
		prev = f.Hash
		if err := db.Exec("INSERT OR REPLACE "+insertEntry, insertArgs(f)...).Error; err != nil {
			refused = append(refused, err.Error())
		}
	}
	if err := db.Exec("INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, 5, ?)", prev).Error; err != nil {
		refused = append(refused, err.Error())
	}
	if len(refused) != 4 {
		t.Fatalf("only %d of 4 INSERT OR REPLACE statements were refused: %q", len(refused), refused)
	}
	for _, msg := range refused {
		if !strings.Contains(msg, "audit_") {
			t.Fatalf("refused for another reason: %s", msg)
		}
	}
	assertChainUnchanged(t, db, before)
}

// On PostgreSQL, TRUNCATE fires no row trigger: emptying the log and
// re-inserting a prefix deleted the tail, and verify said intact.
func TestPostgresTruncateAndReinsertOfAPrefixIsRefused(t *testing.T) {
	db := dbtest.Postgres(t)
	record(t, db, 5)
	before := entries(t, db)
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("TRUNCATE audit_entries").Error; err != nil {
			return err
		}
		for _, e := range before[:3] {
			if err := tx.Exec("INSERT "+insertEntry, insertArgs(e)...).Error; err != nil {
				return err
			}
		}
		return tx.Exec("UPDATE audit_head SET seq = 3, hash = ? WHERE id = 1", before[2].Hash).Error
	})
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("TRUNCATE and re-insert of a prefix allowed: %v", err)
	}
	if err := db.Exec("TRUNCATE audit_head").Error; err == nil || !strings.Contains(err.Error(), "audit_head") {
		t.Fatalf("TRUNCATE audit_head allowed: %v", err)
	}
	assertChainUnchanged(t, db, before)
}

// audit_head moves only with an append: one step forward, onto the entry
// just written. Nothing else may insert, change or remove it, and no entry
// may be inserted anywhere but at the head.
func TestTheHeadOnlyAdvancesWithAnAppend(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		record(t, db, 3)
		before := entries(t, db)
		last := before[2]
		next := forge(audit.Entry{Seq: 4, At: time.Now().UTC().Truncate(time.Microsecond), Actor: "system:x", Action: "a", Entity: "e", EntityID: "1"}, last.Hash, "{}")
		upsertHead := "INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, 2, ?)"
		if database.DialectOf(db) == database.Postgres {
			upsertHead = "INSERT INTO audit_head (id, seq, hash) VALUES (1, 2, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"
		}
		attacks := []struct {
			name string
			sql  string
			args []any
		}{
			{"head moved back to hide the tail", "UPDATE audit_head SET seq = 2, hash = ? WHERE id = 1", []any{before[1].Hash}},
			{"head moved forward onto no entry", "UPDATE audit_head SET seq = 4, hash = ? WHERE id = 1", []any{next.Hash}},
			{"head keeps its seq with another hash", "UPDATE audit_head SET hash = ? WHERE id = 1", []any{before[1].Hash}},
			{"head deleted", "DELETE FROM audit_head", nil},
			{"head replaced by an upsert", upsertHead, []any{before[1].Hash}},
			{"entry inserted past the head", "INSERT " + insertEntry, insertArgs(withSeq(next, 9))},
			{"entry at the head's next seq linked elsewhere", "INSERT " + insertEntry, insertArgs(forge(next, strings.Repeat("0", 64), "{}"))},
		}
		for _, a := range attacks {
			t.Run(a.name, func(t *testing.T) {
				if err := db.Exec(a.sql, a.args...).Error; err == nil {
					t.Fatalf("allowed: %s", a.sql)
				}
				assertChainUnchanged(t, db, before)
			})
		}
		// The one legitimate move still works: an append advances the head.
		record(t, db, 1)
		if r, err := audit.NewLog(db).Verify(admin); err != nil || !r.OK || r.Entries != 4 {
			t.Fatalf("append after the attacks: %+v %v", r, err)
		}
	})
}

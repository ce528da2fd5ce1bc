package database_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

func TestRowWriterWritesEveryRowWhateverTheChunking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		ctx := context.Background()
		cols := []string{"k", "v"}
		per := database.RowsPerInsert(len(cols))
		for _, n := range []int{0, 1, per - 1, per, per + 1, 2*per + 7} {
			table := fmt.Sprintf("rw_%d", n)
			if err := db.Exec("CREATE TABLE " + table + " (k INTEGER PRIMARY KEY, v TEXT)").Error; err != nil {
				t.Fatal(err)
			}
			w := database.NewRowWriter(ctx, db, table, cols, "")
			for i := range n {
				if err := w.Write(i, fmt.Sprintf("value %d", i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			var count, sum int64
			db.Raw("SELECT COUNT(*), COALESCE(SUM(k), 0) FROM "+table).Row().Scan(&count, &sum)
			if count != int64(n) || sum != int64(n*(n-1)/2) || w.RowsAffected() != int64(n) {
				t.Errorf("%d rows: stored %d (key sum %d), RowsAffected %d", n, count, sum, w.RowsAffected())
			}
		}
	})
}

func TestRowWriterCountsOnlyTheRowsAConflictClauseChanged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		ctx := context.Background()
		if err := db.Exec("CREATE TABLE rw_upsert (k INTEGER PRIMARY KEY, v TEXT NOT NULL)").Error; err != nil {
			t.Fatal(err)
		}
		if err := database.InsertRows(ctx, db, "rw_upsert", []string{"k", "v"}, [][]any{{1, "a"}, {2, "b"}, {3, "c"}}); err != nil {
			t.Fatal(err)
		}
		w := database.NewRowWriter(ctx, db, "rw_upsert", []string{"k", "v"},
			" ON CONFLICT (k) DO UPDATE SET v = excluded.v WHERE rw_upsert.v <> excluded.v")
		defer w.Close()
		for _, row := range [][]any{{1, "a"}, {2, "changed"}, {3, "c"}, {4, "new"}} {
			if err := w.Write(row...); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if w.RowsAffected() != 2 {
			t.Errorf("RowsAffected = %d, want 2 (one updated, one inserted, two left alone)", w.RowsAffected())
		}
		var vs []string
		db.Raw("SELECT v FROM rw_upsert ORDER BY k").Scan(&vs)
		if strings.Join(vs, ",") != "a,changed,c,new" {
			t.Errorf("stored %v", vs)
		}
	})
}

func TestRowWriterRefusesARowOfTheWrongWidth(t *testing.T) {
	db := dbtest.SQLite(t)
	w := database.NewRowWriter(context.Background(), db, "suppliers", []string{"name", "created_at"}, "")
	defer w.Close()
	if err := w.Write("only one value"); err == nil || !strings.Contains(err.Error(), "1 values for 2 columns") {
		t.Fatalf("err = %v", err)
	}
}

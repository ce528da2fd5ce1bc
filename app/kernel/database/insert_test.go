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

func TestSharedColumnsAreStoredInEveryRowWhateverTheChunking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		ctx := context.Background()
		cols := []string{"k", "v"}
		shared := database.Shared{Columns: []string{"page", "note"}, Values: []any{int64(7), "same for all"}}
		per := database.RowsPerInsert(len(cols))
		for _, n := range []int{1, per, per + 1, 2*per + 7} {
			table := fmt.Sprintf("rw_shared_%d", n)
			if err := db.Exec("CREATE TABLE " + table + " (k INTEGER PRIMARY KEY, v TEXT NOT NULL, page BIGINT NOT NULL, note TEXT NOT NULL)").Error; err != nil {
				t.Fatal(err)
			}
			rows := make([][]any, n)
			for i := range rows {
				rows[i] = []any{i, fmt.Sprintf("value %d", i)}
			}
			if err := database.InsertShared(ctx, db, table, cols, rows, shared); err != nil {
				t.Fatal(err)
			}
			var count, sum, wrong int64
			db.Raw("SELECT COUNT(*), COALESCE(SUM(k), 0) FROM "+table).Row().Scan(&count, &sum)
			db.Raw("SELECT COUNT(*) FROM " + table + " WHERE page <> 7 OR note <> 'same for all' OR v <> 'value ' || k").Row().Scan(&wrong)
			if count != int64(n) || sum != int64(n*(n-1)/2) || wrong != 0 {
				t.Errorf("%d rows: stored %d (key sum %d), %d with a wrong value", n, count, sum, wrong)
			}
		}
	})
}

// TestAWriterBindingRepeatsOnceStoresEveryValue: with BindRepeatsOnce a
// column that holds one value in every row of a statement is bound once
// (numbered parameters); the rows must come out as written, whatever
// columns repeat: all, none, NULLs, integers, a value that changes only in
// a statement's last row, more shapes than the writer prepares, and the
// partial statement of Flush.
func TestAWriterBindingRepeatsOnceStoresEveryValue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		ctx := context.Background()
		cols := []string{"k", "a", "b", "c", "n"}
		per := database.RowsPerInsert(len(cols))
		if err := db.Exec("CREATE TABLE rw_repeats (k INTEGER PRIMARY KEY, a TEXT, b TEXT, c BIGINT, n TEXT)").Error; err != nil {
			t.Fatal(err)
		}
		type row struct {
			K    int64
			A, B string
			C    int64
			N    *string
		}
		var want []row
		for i := range 30*per + per/2 {
			statement := i / per
			r := row{K: int64(i), A: "same", B: fmt.Sprintf("b%d", i), C: 7}
			switch statement % 12 { // a different set of repeated columns per statement
			case 0: // every column but k repeats
				r.B = "shared"
			case 1:
				r.A = fmt.Sprintf("a%d", i)
			case 2: // the last row of the statement breaks the repeat
				if i%per == per-1 {
					r.A, r.C = "other", 8
				}
			case 3:
				r.C = int64(i)
			default:
				r.B = fmt.Sprintf("s%d", statement) // shapes beyond those prepared
				if statement%2 == 0 {
					r.A = fmt.Sprintf("a%d", i)
				}
			}
			if i%3 == 0 && statement%12 != 5 {
				v := fmt.Sprintf("n%d", i%2)
				r.N = &v
			}
			want = append(want, r)
		}
		w := database.NewRowWriter(ctx, db, "rw_repeats", cols, "").BindRepeatsOnce()
		defer w.Close()
		for _, r := range want {
			var n any
			if r.N != nil {
				n = *r.N
			}
			if err := w.Write(r.K, r.A, r.B, r.C, n); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if w.RowsAffected() != int64(len(want)) {
			t.Fatalf("RowsAffected = %d, want %d", w.RowsAffected(), len(want))
		}
		var got []row
		if err := db.Raw("SELECT k, a, b, c, n FROM rw_repeats ORDER BY k").Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("stored %d rows, want %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.K != w.K || g.A != w.A || g.B != w.B || g.C != w.C || (g.N == nil) != (w.N == nil) || g.N != nil && *g.N != *w.N {
				t.Fatalf("row %d: stored %+v, want %+v", i, g, w)
			}
		}
	})
}

func TestAnUpsertWithSharedColumnsReplacesThemToo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		ctx := context.Background()
		if err := db.Exec("CREATE TABLE rw_shared_upsert (k INTEGER PRIMARY KEY, v TEXT NOT NULL, page BIGINT NOT NULL)").Error; err != nil {
			t.Fatal(err)
		}
		first := database.Shared{Columns: []string{"page"}, Values: []any{int64(1)}}
		if err := database.InsertShared(ctx, db, "rw_shared_upsert", []string{"k", "v"}, [][]any{{1, "a"}, {2, "b"}}, first); err != nil {
			t.Fatal(err)
		}
		second := database.Shared{Columns: []string{"page"}, Values: []any{int64(2)}}
		if err := database.UpsertShared(ctx, db, "rw_shared_upsert", []string{"k", "v"}, []string{"k"}, [][]any{{2, "b2"}, {3, "c"}}, second); err != nil {
			t.Fatal(err)
		}
		var got []string
		db.Raw("SELECT v || ':' || CAST(page AS TEXT) FROM rw_shared_upsert ORDER BY k").Scan(&got)
		if strings.Join(got, ",") != "a:1,b2:2,c:2" {
			t.Errorf("stored %v", got)
		}
	})
}

package database

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// maxBindVars keeps one statement under SQLite's limit of 32,766 bound
// parameters (PostgreSQL allows 65,535).
const maxBindVars = 32000

// maxRowsPerInsert keeps statements short: a statement is prepared once per
// InsertRows call and reused for every full chunk, and preparing a very long
// statement costs more than executing a short one several times.
const maxRowsPerInsert = 100

// RowsPerInsert is how many rows of n columns go in one INSERT.
func RowsPerInsert(columns int) int { return max(1, min(maxRowsPerInsert, maxBindVars/columns)) }

// InsertRows writes rows into table with multi-row INSERT statements, sized
// to the database's parameter limit. It bypasses gorm's reflection: bulk
// paths (imports, verdicts) spend their time in the database, not in Go.
// db may be a transaction.
func InsertRows(ctx context.Context, db *gorm.DB, table string, columns []string, rows [][]any) error {
	return insertRows(ctx, db, table, columns, rows, "")
}

func insertRows(ctx context.Context, db *gorm.DB, table string, columns []string, rows [][]any, suffix string) error {
	if len(rows) == 0 {
		return nil
	}
	pg := DialectOf(db) == Postgres
	per := RowsPerInsert(len(columns))
	pool := db.Statement.ConnPool
	args := make([]any, 0, per*len(columns))
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args = args[:0]
		for _, row := range chunk {
			if len(row) != len(columns) {
				return fmt.Errorf("insert into %s: row has %d values for %d columns", table, len(row), len(columns))
			}
			args = append(args, row...)
		}
		var err error
		if len(chunk) == per {
			if full == nil {
				if full, err = pool.PrepareContext(ctx, insertSQL(table, columns, per, pg)+suffix); err != nil {
					return fmt.Errorf("insert into %s: %w", table, err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = pool.ExecContext(ctx, insertSQL(table, columns, len(chunk), pg)+suffix, args...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func insertSQL(table string, columns []string, rows int, pg bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	n := 0
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range columns {
			if j > 0 {
				b.WriteByte(',')
			}
			n++
			if pg {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// UpsertRows inserts rows like InsertRows; a row whose conflict columns match
// an existing row replaces that row's other columns instead.
func UpsertRows(ctx context.Context, db *gorm.DB, table string, columns, conflict []string, rows [][]any) error {
	var set []string
	for _, c := range columns {
		if !slices.Contains(conflict, c) {
			set = append(set, c+" = excluded."+c)
		}
	}
	suffix := " ON CONFLICT (" + strings.Join(conflict, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
	return insertRows(ctx, db, table, columns, rows, suffix)
}

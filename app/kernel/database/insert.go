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
// RowWriter and reused for every full chunk, and preparing a very long
// statement costs more than executing a short one several times.
const maxRowsPerInsert = 100

// RowsPerInsert is how many rows of n columns go in one INSERT.
func RowsPerInsert(columns int) int { return max(1, min(maxRowsPerInsert, maxBindVars/columns)) }

// InsertRows writes rows into table with multi-row INSERT statements, sized
// to the database's parameter limit. It bypasses gorm's reflection: bulk
// paths (imports, verdicts) spend their time in the database, not in Go.
// db may be a transaction.
func InsertRows(ctx context.Context, db *gorm.DB, table string, columns []string, rows [][]any) error {
	return writeAll(NewRowWriter(ctx, db, table, columns, ""), rows)
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
	return writeAll(NewRowWriter(ctx, db, table, columns, suffix), rows)
}

func writeAll(w *RowWriter, rows [][]any) error {
	defer w.Close()
	for _, row := range rows {
		if err := w.Write(row...); err != nil {
			return err
		}
	}
	return w.Flush()
}

// RowWriter streams rows into a table: it buffers them and sends them in
// multi-row INSERT statements, preparing the full-size statement once. Bulk
// writers that produce rows one at a time (an import replaying its spool)
// use it so that neither they nor the database hold every row at once.
type RowWriter struct {
	ctx      context.Context
	pool     gorm.ConnPool
	table    string
	columns  []string
	suffix   string // appended to every statement, e.g. an ON CONFLICT clause
	pg       bool
	per      int
	args     []any
	full     *sql.Stmt
	affected int64
}

// NewRowWriter returns a writer of rows of columns into table; suffix, if
// not empty, follows the VALUES list of every statement (ON CONFLICT …).
// db may be a transaction. Close it when done.
func NewRowWriter(ctx context.Context, db *gorm.DB, table string, columns []string, suffix string) *RowWriter {
	per := RowsPerInsert(len(columns))
	return &RowWriter{
		ctx: ctx, pool: db.Statement.ConnPool, table: table, columns: columns, suffix: suffix,
		pg: DialectOf(db) == Postgres, per: per, args: make([]any, 0, per*len(columns)),
	}
}

// Write queues one row, sending a statement when enough rows are queued.
func (w *RowWriter) Write(row ...any) error {
	if len(row) != len(w.columns) {
		return fmt.Errorf("insert into %s: row has %d values for %d columns", w.table, len(row), len(w.columns))
	}
	w.args = append(w.args, row...)
	if len(w.args) < w.per*len(w.columns) {
		return nil
	}
	if w.full == nil {
		stmt, err := w.pool.PrepareContext(w.ctx, insertSQL(w.table, w.columns, w.per, w.pg)+w.suffix)
		if err != nil {
			return fmt.Errorf("insert into %s: %w", w.table, err)
		}
		w.full = stmt
	}
	res, err := w.full.ExecContext(w.ctx, w.args...)
	return w.sent(res, err)
}

// Flush sends the rows still queued.
func (w *RowWriter) Flush() error {
	if len(w.args) == 0 {
		return nil
	}
	n := len(w.args) / len(w.columns)
	res, err := w.pool.ExecContext(w.ctx, insertSQL(w.table, w.columns, n, w.pg)+w.suffix, w.args...)
	return w.sent(res, err)
}

// RowsAffected is how many rows the statements sent so far inserted or
// updated (a conflict clause's WHERE can leave rows alone).
func (w *RowWriter) RowsAffected() int64 { return w.affected }

// Close releases the prepared statement. Rows not flushed are dropped.
func (w *RowWriter) Close() {
	if w.full != nil {
		w.full.Close()
		w.full = nil
	}
	w.args = w.args[:0]
}

func (w *RowWriter) sent(res sql.Result, err error) error {
	w.args = w.args[:0]
	if err != nil {
		return fmt.Errorf("insert into %s: %w", w.table, err)
	}
	if n, err := res.RowsAffected(); err == nil {
		w.affected += n
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

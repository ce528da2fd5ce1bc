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
	return InsertShared(ctx, db, table, columns, rows, Shared{})
}

// UpsertRows inserts rows like InsertRows; a row whose conflict columns match
// an existing row replaces that row's other columns instead.
func UpsertRows(ctx context.Context, db *gorm.DB, table string, columns, conflict []string, rows [][]any) error {
	return UpsertShared(ctx, db, table, columns, conflict, rows, Shared{})
}

// Shared are columns that hold the same value in every row of a write
// (the policy, date and time of a page of verdicts): each statement binds
// them once, not once a row. Binding values is a third of a bulk write's
// time in the SQLite driver (issue #18).
type Shared struct {
	Columns []string
	Values  []any
}

// InsertShared is InsertRows with the shared columns' values added to every row.
func InsertShared(ctx context.Context, db *gorm.DB, table string, columns []string, rows [][]any, shared Shared) error {
	return writeAll(newRowWriter(ctx, db, table, columns, "", shared), rows)
}

// UpsertShared is UpsertRows with the shared columns' values added to every row.
func UpsertShared(ctx context.Context, db *gorm.DB, table string, columns, conflict []string, rows [][]any, shared Shared) error {
	var set []string
	for _, c := range append(slices.Clip(columns), shared.Columns...) {
		if !slices.Contains(conflict, c) {
			set = append(set, c+" = excluded."+c)
		}
	}
	suffix := " ON CONFLICT (" + strings.Join(conflict, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
	return writeAll(newRowWriter(ctx, db, table, columns, suffix, shared), rows)
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
	shared   Shared // bound once a statement, first
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
	return newRowWriter(ctx, db, table, columns, suffix, Shared{})
}

func newRowWriter(ctx context.Context, db *gorm.DB, table string, columns []string, suffix string, shared Shared) *RowWriter {
	per := max(1, min(maxRowsPerInsert, (maxBindVars-len(shared.Values))/len(columns)))
	w := &RowWriter{
		ctx: ctx, pool: db.Statement.ConnPool, table: table, columns: columns, suffix: suffix, shared: shared,
		pg: DialectOf(db) == Postgres, per: per, args: make([]any, 0, len(shared.Values)+per*len(columns)),
	}
	w.args = append(w.args, shared.Values...)
	return w
}

// Write queues one row, sending a statement when enough rows are queued.
func (w *RowWriter) Write(row ...any) error {
	if len(row) != len(w.columns) {
		return fmt.Errorf("insert into %s: row has %d values for %d columns", w.table, len(row), len(w.columns))
	}
	w.args = append(w.args, row...)
	if w.queued() < w.per {
		return nil
	}
	if w.full == nil {
		stmt, err := w.pool.PrepareContext(w.ctx, w.sql(w.per))
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
	n := w.queued()
	if n == 0 {
		return nil
	}
	res, err := w.pool.ExecContext(w.ctx, w.sql(n), w.args...)
	return w.sent(res, err)
}

// queued is how many rows wait to be sent.
func (w *RowWriter) queued() int { return (len(w.args) - len(w.shared.Values)) / len(w.columns) }

func (w *RowWriter) sql(rows int) string {
	return insertSQL(w.table, w.columns, w.shared, rows, w.pg) + w.suffix
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
	w.args = w.args[:len(w.shared.Values)]
}

func (w *RowWriter) sent(res sql.Result, err error) error {
	w.args = w.args[:len(w.shared.Values)]
	if err != nil {
		return fmt.Errorf("insert into %s: %w", w.table, err)
	}
	if n, err := res.RowsAffected(); err == nil {
		w.affected += n
	}
	return nil
}

// insertSQL is a multi-row INSERT of rows of columns. Shared columns follow
// each row's own and name the statement's first parameters, which every
// row repeats: $1… on PostgreSQL, ?1… on SQLite (whose plain ? would bind
// a new parameter each time).
func insertSQL(table string, columns []string, shared Shared, rows int, pg bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", "))
	for _, c := range shared.Columns {
		b.WriteString(", " + c)
	}
	b.WriteString(") VALUES ")
	k := len(shared.Columns)
	param := func(n int) {
		switch {
		case pg:
			b.WriteString("$" + strconv.Itoa(n))
		case k > 0:
			b.WriteString("?" + strconv.Itoa(n))
		default:
			b.WriteByte('?')
		}
	}
	n := k
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
			param(n)
		}
		for j := range k {
			b.WriteByte(',')
			param(j + 1)
		}
		b.WriteByte(')')
	}
	return b.String()
}

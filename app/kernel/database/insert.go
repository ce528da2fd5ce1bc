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
	pg       bool
	per      int
	args     []any
	full     *sql.Stmt
	affected int64

	// With share set (BindRepeatsOnce), a column whose value is the same in
	// every row of a statement is bound once: shapes holds the full-size
	// statements by their mask of such columns, packed the values bound.
	share  bool
	shapes map[uint64]*sql.Stmt
	packed []any

	// The values of the Shared columns (the last of columns), added to
	// every row and always bound once (always, their mask).
	extra  []any
	always uint64
}

// maxShapes bounds the statements a sharing writer prepares; rows whose
// mask of repeated columns has none of them bind every value.
const maxShapes = 8

// NewRowWriter returns a writer of rows of columns into table; suffix, if
// not empty, follows the VALUES list of every statement (ON CONFLICT …).
// db may be a transaction. Close it when done.
func NewRowWriter(ctx context.Context, db *gorm.DB, table string, columns []string, suffix string) *RowWriter {
	return newRowWriter(ctx, db, table, columns, suffix, Shared{})
}

func newRowWriter(ctx context.Context, db *gorm.DB, table string, columns []string, suffix string, shared Shared) *RowWriter {
	all := append(slices.Clip(columns), shared.Columns...)
	per := RowsPerInsert(len(all))
	w := &RowWriter{
		ctx: ctx, pool: db.Statement.ConnPool, table: table, columns: all, suffix: suffix,
		pg: DialectOf(db) == Postgres, per: per, args: make([]any, 0, per*len(all)), extra: shared.Values,
	}
	if len(all) <= 64 {
		for c := len(columns); c < len(all); c++ {
			w.always |= 1 << c
		}
	}
	return w
}

// Write queues one row, sending a statement when enough rows are queued.
func (w *RowWriter) Write(row ...any) error {
	if len(row)+len(w.extra) != len(w.columns) {
		return fmt.Errorf("insert into %s: row has %d values for %d columns", w.table, len(row), len(w.columns)-len(w.extra))
	}
	w.args = append(w.args, row...)
	w.args = append(w.args, w.extra...)
	if len(w.args) < w.per*len(w.columns) {
		return nil
	}
	mask := w.repeated()
	stmt, mask, err := w.statement(mask)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", w.table, err)
	}
	res, err := stmt.ExecContext(w.ctx, w.bound(mask)...)
	return w.sent(res, err)
}

// statement returns the prepared full-size statement for mask (repeated)
// and the mask it binds once: none when mask is 0 or the writer made
// maxShapes statements already.
func (w *RowWriter) statement(mask uint64) (*sql.Stmt, uint64, error) {
	if stmt := w.shapes[mask]; stmt != nil {
		return stmt, mask, nil
	}
	if mask != 0 && len(w.shapes) < maxShapes {
		stmt, err := w.pool.PrepareContext(w.ctx, insertSQL(w.table, w.columns, w.per, mask, w.pg)+w.suffix)
		if err != nil {
			return nil, 0, err
		}
		if w.shapes == nil {
			w.shapes = map[uint64]*sql.Stmt{}
		}
		w.shapes[mask] = stmt
		return stmt, mask, nil
	}
	if w.full == nil {
		stmt, err := w.pool.PrepareContext(w.ctx, insertSQL(w.table, w.columns, w.per, 0, w.pg)+w.suffix)
		if err != nil {
			return nil, 0, err
		}
		w.full = stmt
	}
	return w.full, 0, nil
}

// Flush sends the rows still queued.
func (w *RowWriter) Flush() error {
	if len(w.args) == 0 {
		return nil
	}
	n := len(w.args) / len(w.columns)
	mask := w.repeated()
	res, err := w.pool.ExecContext(w.ctx, insertSQL(w.table, w.columns, n, mask, w.pg)+w.suffix, w.bound(mask)...)
	return w.sent(res, err)
}

// BindRepeatsOnce makes w bind a column once per statement when every row
// of the statement holds the same value in it: the rows of a supplier's
// file repeat their brand, markets, contact and more, row after row, and
// each value bound is a copy and a call into the driver. Only text,
// integers and NULL count as repeated. It returns w.
func (w *RowWriter) BindRepeatsOnce() *RowWriter {
	w.share = len(w.columns) <= 64
	return w
}

// repeated is the mask of the columns whose value is the same in every
// queued row (bit i for column i): the Shared columns, and others if w
// shares repeats.
func (w *RowWriter) repeated() uint64 {
	width := len(w.columns)
	mask := w.always
	if !w.share || len(w.args) < 2*width {
		return mask
	}
	for c := range width {
		if mask&(1<<c) != 0 {
			continue
		}
		first := w.args[c]
		switch first.(type) {
		case nil, string, int64, int:
		default:
			continue // not comparable, or not worth it
		}
		same := true
		for at := c + width; at < len(w.args); at += width {
			if w.args[at] != first {
				same = false
				break
			}
		}
		if same {
			mask |= 1 << c
		}
	}
	return mask
}

// bound is the queued values as a statement of mask binds them: the
// repeated columns' values once, in column order, then every row's other
// values.
func (w *RowWriter) bound(mask uint64) []any {
	if mask == 0 {
		return w.args
	}
	width := len(w.columns)
	w.packed = w.packed[:0]
	for c := range width {
		if mask&(1<<c) != 0 {
			w.packed = append(w.packed, w.args[c])
		}
	}
	for at := 0; at < len(w.args); at += width {
		for c := range width {
			if mask&(1<<c) == 0 {
				w.packed = append(w.packed, w.args[at+c])
			}
		}
	}
	return w.packed
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
	for _, stmt := range w.shapes {
		stmt.Close()
	}
	w.shapes = nil
	w.args = w.args[:0]
}

func (w *RowWriter) sent(res sql.Result, err error) error {
	clear(w.args) // keep no row's values alive
	w.args = w.args[:0]
	clear(w.packed)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", w.table, err)
	}
	if n, err := res.RowsAffected(); err == nil {
		w.affected += n
	}
	return nil
}

// insertSQL is a multi-row INSERT of rows rows. The columns of mask take
// one parameter, numbered first and used by every row; the others one per
// row, numbered after them.
func insertSQL(table string, columns []string, rows int, mask uint64, pg bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	param := func(n int) {
		switch {
		case pg:
			b.WriteByte('$')
		case mask != 0:
			b.WriteByte('?') // ?NNN: the same number binds the same value
		default:
			b.WriteByte('?')
			return
		}
		b.WriteString(strconv.Itoa(n))
	}
	shared := make([]int, len(columns)) // a repeated column's parameter
	n := 0
	for c := range columns {
		if mask&(1<<c) != 0 {
			n++
			shared[c] = n
		}
	}
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range columns {
			if c > 0 {
				b.WriteByte(',')
			}
			if shared[c] > 0 {
				param(shared[c])
				continue
			}
			n++
			param(n)
		}
		b.WriteByte(')')
	}
	return b.String()
}

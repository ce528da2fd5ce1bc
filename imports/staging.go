package imports

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

// staging holds the valid rows of a running import until its commit, in
// temporary tables of the one connection the import holds from start to
// end. The rows are written once, while the file is parsed (temporary
// tables are neither logged nor synced, and the database's write lock is
// not taken); the commit then checks them and copies them into products
// inside the database, where no value is bound a second time.
//
// Temporary tables belong to their connection: a killed process takes them
// with it, and the import closes the connection when it ends
// (discardConnection), so no later user of the pool inherits them.
type staging struct {
	ctx    context.Context
	conn   *gorm.DB
	rows   *database.RowWriter // made for the file's columns by the first add
	labels *database.RowWriter
	// copy is set on PostgreSQL: rows go in with COPY (copy.go), which
	// PostgreSQL loads several times faster than multi-row INSERTs.
	copy *pgCopy

	indexed  map[string]bool // the indexes made (index)
	analysed bool
}

// increasing tracks whether a staged column's values come in strictly
// increasing order, as a file sorted by it has them: then they are all
// distinct, and the commit need not look for repeats, nor index the column
// to find them. Go compares strings bytewise, and both databases call two
// texts equal only when their bytes are (SQLite's BINARY collation,
// PostgreSQL's deterministic ones).
type increasing struct {
	last           string
	started, broke bool
}

func (o *increasing) see(v string) {
	if o.started && v <= o.last {
		o.broke = true
	}
	o.last, o.started = v, true
}

// repeatsPossible reports whether two of the values seen may be equal.
func (o *increasing) repeatsPossible() bool { return o.broke }

// stagedColumn is a column of staged_rows and the sheet column its value
// comes from. A column the file does not have is not staged row by row:
// the table's default (empty text, {} for extra, NULL for support_end) stands in.
type stagedColumn struct {
	name   string
	source int // index in Columns, or always / extraColumns
	def    string
}

const (
	always       = -1 // staged from every file
	extraColumns = -2 // staged when the file has columns Cascade does not know
)

// stagedColumns are a staged row: its row number and the product as it will
// be stored (product.stagedValues). The row as written waits in the cell spool.
var stagedColumns = [...]stagedColumn{
	{"row_number", always, ""}, {"sku", always, "''"}, {"gtin", always, "''"}, {"brand", always, "''"},
	{"model", always, "''"}, {"match_key", always, "''"}, {"name", colName, "''"}, {"category", always, "''"},
	{"markets", always, "''"}, {"password_model", colPassword, "''"}, {"vuln_report_contact", colContact, "''"},
	{"support_end", colSupportEnd, "NULL"}, {"statement_of_compliance", colStatement, "''"}, {"ce_marking", colCE, "''"},
	{"hardware_version", colHardware, "''"}, {"firmware_version", colFirmware, "''"}, {"price", colPrice, "''"},
	{"currency", colCurrency, "''"}, {"extra", extraColumns, "'{}'"}, {"content_hash", always, "''"},
}

// stagedText gives a valid row's values in the order of stagedColumns, as
// text (the row number is stagedBoxes's, and an empty support end is NULL).
// markets is the row's markets joined by spaces (stagedBoxes.markets).
func (p *product) stagedText(markets string) [len(stagedColumns)]string {
	var supportEnd string
	if !p.SupportEnd.IsZero() {
		supportEnd = p.SupportEnd.String()
	}
	return [...]string{"", p.SKU, p.GTIN, p.Brand, p.Model, p.MatchKey, p.Name, p.Category, markets,
		p.PasswordModel, p.Contact, supportEnd, p.Statement, p.CE,
		p.Hardware, p.Firmware, p.Price, p.Currency, p.Extra, p.Hash}
}

// stagedBoxes turns rows into staged values, keeping each column's last
// value: a supplier's rows repeat most of theirs (brand, markets, contact,
// support end…) row after row, and a repeated value reuses its box instead
// of allocating another, which also lets the staging writer see the
// repeat (database.RowWriter.BindRepeatsOnce).
type stagedBoxes struct {
	text    [len(stagedColumns)]string
	box     [len(stagedColumns)]any
	markets []string // the last row's markets, joined in text[stagedMarkets]
}

// Positions in stagedColumns.
var stagedMarkets, stagedSupportEnd = stagedPosition("markets"), stagedPosition("support_end")

func stagedPosition(name string) int {
	for i, c := range stagedColumns {
		if c.name == name {
			return i
		}
	}
	panic("no staged column " + name)
}

// append appends the values of p's columns at positions (in stagedColumns) to values.
func (b *stagedBoxes) append(values []any, p *product, positions []int) []any {
	if b.markets == nil || !slices.Equal(b.markets, p.Markets) {
		b.markets = append(b.markets[:0], p.Markets...)
		b.text[stagedMarkets], b.box[stagedMarkets] = strings.Join(p.Markets, " "), nil
	}
	text := p.stagedText(b.text[stagedMarkets])
	for _, i := range positions {
		switch {
		case i == 0:
			values = append(values, int64(p.Row))
		case i == stagedSupportEnd && text[i] == "":
			values = append(values, nil) // no date
		default:
			if b.box[i] == nil || b.text[i] != text[i] {
				b.text[i], b.box[i] = text[i], text[i]
			}
			values = append(values, b.box[i])
		}
	}
	return values
}

// stagedProductColumns are the staged columns that go to products as they are.
var stagedProductColumns = func() []string {
	var out []string
	for _, c := range stagedColumns[1:] {
		out = append(out, c.name)
	}
	return out
}()

// stagedFor returns the positions in stagedColumns of the columns staged
// for a file of layout l, and their names.
func stagedFor(l *layout) (positions []int, names []string) {
	for i, c := range stagedColumns {
		switch {
		case c.source == always,
			c.source == extraColumns && len(l.extra) > 0,
			c.source >= 0 && l.index[c.source] >= 0:
			positions, names = append(positions, i), append(names, c.name)
		}
	}
	return positions, names
}

var stagedLabelColumns = []string{"row_number", "scheme", "label_id", "label_key"}

// stagedValues gives a label claim of the valid row numbered row in the
// order of stagedLabelColumns.
func (l label) stagedValues(row int64) []any { return []any{row, l.Scheme, l.ID, l.Key} }

// openStaging creates the temporary tables on conn, which must be one
// connection (gorm's Connection), not the pool.
func openStaging(ctx context.Context, conn *gorm.DB) (*staging, error) {
	if _, ok := conn.Statement.ConnPool.(*sql.Conn); !ok {
		return nil, fmt.Errorf("import staging needs one connection, not %T", conn.Statement.ConnPool)
	}
	if database.DialectOf(conn) == database.Postgres {
		// Temporary tables live in the session's own buffers, 8 MB by
		// default: a 100,000-row file's staging (about 40 MB with its
		// indexes) went to disk and back on every check of the commit. The
		// setting must come before the session's first temporary table,
		// and dies with the connection, which the import discards.
		for _, set := range []string{"SET temp_buffers = '256MB'", "SET work_mem = '64MB'"} {
			if err := conn.WithContext(ctx).Exec(set).Error; err != nil {
				return nil, fmt.Errorf("prepare import staging: %w", err)
			}
		}
	}
	cols := []string{"row_number INTEGER PRIMARY KEY"}
	for _, c := range stagedColumns[1:] {
		cols = append(cols, c.name+" TEXT DEFAULT "+c.def)
	}
	ddl := []string{
		"CREATE TEMP TABLE staged_rows (" + strings.Join(cols, ", ") + ")",
		"CREATE TEMP TABLE staged_labels (row_number INTEGER NOT NULL, scheme TEXT, label_id TEXT, label_key TEXT)",
	}
	for _, s := range ddl {
		if err := conn.WithContext(ctx).Exec(s).Error; err != nil {
			return nil, fmt.Errorf("create import staging: %w", err)
		}
	}
	st := &staging{ctx: ctx, conn: conn}
	if database.DialectOf(conn) == database.Postgres {
		st.copy = newPGCopy(ctx, conn.Statement.ConnPool.(*sql.Conn))
		return st, nil
	}
	st.labels = database.NewRowWriter(ctx, conn, "staged_labels", stagedLabelColumns, "")
	return st, nil
}

// add stages rows of the given columns and label claims, each as their
// columns' values one row after another; some may wait in the writers until
// flush. Every call must give the same columns.
func (s *staging) add(columns []string, rows, labels []any) error {
	if s.copy != nil {
		if err := s.copy.rows("staged_rows", columns, rows); err != nil {
			return fmt.Errorf("stage rows: %w", err)
		}
		if err := s.copy.rows("staged_labels", stagedLabelColumns, labels); err != nil {
			return fmt.Errorf("stage label claims: %w", err)
		}
		return nil
	}
	if s.rows == nil && len(rows) > 0 {
		s.rows = database.NewRowWriter(s.ctx, s.conn, "staged_rows", columns, "").BindRepeatsOnce()
	}
	if err := writeEach(s.rows, len(columns), rows); err != nil {
		return fmt.Errorf("stage rows: %w", err)
	}
	if err := writeEach(s.labels, len(stagedLabelColumns), labels); err != nil {
		return fmt.Errorf("stage label claims: %w", err)
	}
	return nil
}

func writeEach(w *database.RowWriter, width int, values []any) error {
	if len(values) == 0 {
		return nil
	}
	for i := 0; i+width <= len(values); i += width {
		if err := w.Write(values[i : i+width]...); err != nil {
			return err
		}
	}
	return nil
}

// flush sends the rows still waiting in the writers.
func (s *staging) flush() error {
	if s.copy != nil {
		return s.copy.flush()
	}
	if s.rows != nil {
		if err := s.rows.Flush(); err != nil {
			return err
		}
	}
	return s.labels.Flush()
}

// Staging's indexes, on staged_rows: the commit's checks look rows up by
// these columns. (Labels find their row by its primary key.)
const (
	indexSKU  = "sku"
	indexGTIN = "gtin"
)

// index adds the given indexes (indexSKU, indexGTIN) that staging lacks,
// through db (the import's connection, or its transaction); built once
// after the parse, they cost less than maintained row by row. On
// PostgreSQL it also analyses the staging, once.
func (s *staging) index(ctx context.Context, db *gorm.DB, columns ...string) error {
	for _, c := range columns {
		if s.indexed[c] {
			continue
		}
		if err := db.WithContext(ctx).Exec("CREATE INDEX staged_rows_" + c + " ON staged_rows (" + c + ")").Error; err != nil {
			return fmt.Errorf("index import staging: %w", err)
		}
		if s.indexed == nil {
			s.indexed = map[string]bool{}
		}
		s.indexed[c] = true
	}
	if s.copy != nil && !s.analysed {
		s.analysed = true
		// PostgreSQL never analyses a temporary table by itself; without
		// its statistics the commit's checks were planned for an empty one.
		// Only the columns they join and filter on: the statistics of all
		// twenty took 0.23-0.37 s for 100,000 rows, these 0.09-0.11 s.
		if err := db.WithContext(ctx).Exec("ANALYZE staged_rows (row_number, sku, gtin, content_hash), staged_labels (row_number)").Error; err != nil {
			return fmt.Errorf("analyse import staging: %w", err)
		}
	}
	return nil
}

// close releases the writers' statements; the tables go with the connection.
func (s *staging) close() {
	if s.rows != nil {
		s.rows.Close()
	}
	if s.labels != nil {
		s.labels.Close()
	}
}

// discardConnection closes the connection conn holds instead of returning
// it to the pool (database/sql discards a connection that reports
// ErrBadConn); openStaging made sure it is one.
func discardConnection(conn *gorm.DB) {
	if c, ok := conn.Statement.ConnPool.(*sql.Conn); ok {
		_ = c.Raw(func(any) error { return driver.ErrBadConn })
	}
}

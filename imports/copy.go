package imports

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgCopy stages rows on PostgreSQL with COPY … FROM STDIN (binary), through
// the pgx connection under the import's one database/sql connection: no
// statement text for the server to parse and plan per hundred rows, and
// one COPY per copyRows rows (each COPY costs pgx a round trip to learn the
// columns' types first). The values are those an INSERT would bind (text,
// integers, NULL); a NUL, which PostgreSQL's text cannot hold, never gets
// here (imports/characters.go rejects the row).
type pgCopy struct {
	ctx    context.Context
	conn   *sql.Conn
	tables map[string]*copyBuffer
}

// copyRows is how many rows one COPY sends: a few MB of values at most.
const copyRows = 5000

type copyBuffer struct {
	columns []string
	values  []any // one row's values after another
}

func newPGCopy(ctx context.Context, conn *sql.Conn) *pgCopy {
	return &pgCopy{ctx: ctx, conn: conn, tables: map[string]*copyBuffer{}}
}

// rows queues values, the values of one row after another for columns, for
// table (the caller may reuse values), and copies them when copyRows are
// queued. Every call for one table must give the same columns.
func (c *pgCopy) rows(table string, columns []string, values []any) error {
	if len(values)%len(columns) != 0 {
		return fmt.Errorf("copy into %s: %d values are not rows of %d columns", table, len(values), len(columns))
	}
	buf := c.tables[table]
	if buf == nil {
		buf = &copyBuffer{columns: columns, values: make([]any, 0, copyRows*len(columns))}
		c.tables[table] = buf
	}
	buf.values = append(buf.values, values...)
	if len(buf.values) < copyRows*len(columns) {
		return nil
	}
	return c.send(table, buf)
}

// flush copies every queued row.
func (c *pgCopy) flush() error {
	for table, buf := range c.tables {
		if err := c.send(table, buf); err != nil {
			return err
		}
	}
	return nil
}

func (c *pgCopy) send(table string, buf *copyBuffer) error {
	width := len(buf.columns)
	if len(buf.values) == 0 {
		return nil
	}
	src := &flatRows{values: buf.values, width: width, at: -width}
	err := c.conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy into %s: the connection is a %T, not pgx's", table, dc)
		}
		n, err := pc.Conn().CopyFrom(c.ctx, pgx.Identifier{table}, buf.columns, src)
		if err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
		if want := int64(len(buf.values) / width); n != want {
			return fmt.Errorf("copy into %s: %d rows copied of %d", table, n, want)
		}
		return nil
	})
	clear(buf.values) // keep no strings of the file alive
	buf.values = buf.values[:0]
	return err
}

// flatRows is a pgx.CopyFromSource over rows laid end to end, as staging
// gets them: no slice of rows is built.
type flatRows struct {
	values    []any
	width, at int
}

func (f *flatRows) Next() bool {
	f.at += f.width
	return f.at+f.width <= len(f.values)
}

func (f *flatRows) Values() ([]any, error) { return f.values[f.at : f.at+f.width], nil }

func (f *flatRows) Err() error { return nil }

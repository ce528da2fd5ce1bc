package database

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// maxBindVars keeps one statement under SQLite's limit of 32,766 bound
// parameters (PostgreSQL allows 65,535).
const maxBindVars = 32000

// RowsPerInsert is how many rows of n columns fit in one INSERT.
func RowsPerInsert(columns int) int { return max(1, maxBindVars/columns) }

// InsertRows writes rows into table with multi-row INSERT statements, sized
// to the database's parameter limit. It bypasses gorm's reflection: bulk
// paths (imports, verdicts) spend their time in the database, not in Go.
// db may be a transaction.
func InsertRows(ctx context.Context, db *gorm.DB, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	pg := DialectOf(db) == Postgres
	per := RowsPerInsert(len(columns))
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.Grow(len(head) + len(chunk)*len(columns)*5)
		b.WriteString(head)
		args := make([]any, 0, len(chunk)*len(columns))
		n := 0
		for i, row := range chunk {
			if len(row) != len(columns) {
				return fmt.Errorf("insert into %s: row has %d values for %d columns", table, len(row), len(columns))
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for j := range row {
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
			args = append(args, row...)
		}
		if _, err := db.Statement.ConnPool.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

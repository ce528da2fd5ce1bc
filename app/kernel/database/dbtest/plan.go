package dbtest

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

// Plan returns the query plan the database makes for query, one step a
// line: EXPLAIN QUERY PLAN on SQLite; EXPLAIN on PostgreSQL with sequential
// scans disabled (an empty test table is cheaper to scan than to probe, so
// the plan shows whether an index can answer the query, not whether the
// planner would pick it for this table's size).
func Plan(t testing.TB, db *gorm.DB, query string, args ...any) string {
	t.Helper()
	var plan []string
	err := db.Transaction(func(tx *gorm.DB) error {
		if database.DialectOf(tx) == database.Postgres {
			if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
			return tx.Raw("EXPLAIN "+query, args...).Scan(&plan).Error
		}
		var rows []struct{ Detail string }
		if err := tx.Raw("EXPLAIN QUERY PLAN "+query, args...).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			plan = append(plan, r.Detail)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("plan of %s: %v", query, err)
	}
	return strings.Join(plan, "\n")
}

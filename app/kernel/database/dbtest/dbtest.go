// Package dbtest gives tests a real, migrated, empty database: a SQLite file
// in t.TempDir(), and a fresh PostgreSQL schema when CASCADE_TEST_POSTGRES
// names a server. The same test body runs on both.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
)

// EnvPostgres names the variable holding the PostgreSQL URL used by tests.
const EnvPostgres = "CASCADE_TEST_POSTGRES"

// Each runs fn once per available database, as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, dsn string, db *gorm.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		dsn := SQLiteDSN(t)
		fn(t, dsn, open(t, dsn))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := PostgresDSN(t)
		fn(t, dsn, open(t, dsn))
	})
}

// SQLite returns a migrated database in a temporary file.
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	return open(t, SQLiteDSN(t))
}

// Postgres returns a migrated database in a new PostgreSQL schema.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	return open(t, PostgresDSN(t))
}

// SQLiteDSN returns the path of a new, empty SQLite database file.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "cascade.db")
}

// PostgresDSN returns a DSN for a new, empty schema on the test server, dropped
// when the test ends. Without CASCADE_TEST_POSTGRES the test is skipped; in CI
// (CI=true) a missing variable fails instead, so PostgreSQL is never silently untested.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return PostgresDSNs(t, 1)[0]
}

// PostgresDSNs returns DSNs for n new, empty schemas, made and dropped over
// one connection: for tests that need many databases at once without holding
// a connection for each.
func PostgresDSNs(t testing.TB, n int) []string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set in CI: the PostgreSQL half of the suite would not run", EnvPostgres)
		}
		t.Skipf("PostgreSQL tests skipped: set %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvPostgres)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	admin, err := database.Connect(base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s is unreachable: %v", u.Redacted(), err)
	}
	var schemas []string
	t.Cleanup(func() {
		for _, schema := range schemas {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		}
		database.Close(admin)
	})
	dsns := make([]string, n)
	for i := range dsns {
		buf := make([]byte, 6)
		_, _ = rand.Read(buf)
		schema := "test_" + hex.EncodeToString(buf)
		if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
			t.Fatalf("create schema: %v", err)
		}
		schemas = append(schemas, schema)
		q := u.Query()
		q.Set("search_path", schema)
		su := *u
		su.RawQuery = q.Encode()
		dsns[i] = su.String()
	}
	return dsns
}

// prepared is what Prepare registered, run on every database a test gets.
var prepared []func(context.Context, *gorm.DB) error

// Prepare makes every database this test binary's tests get from dbtest go
// through fn after its migration, as start-up would have it: a domain
// package's tests register what the server installs at start-up (the
// default policy), which dbtest cannot import. Call it from an init
// function of a _test.go file, before any test runs.
func Prepare(fn func(context.Context, *gorm.DB) error) { prepared = append(prepared, fn) }

func open(t testing.TB, dsn string) *gorm.DB {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { database.Close(db) })
	for _, fn := range prepared {
		if err := fn(context.Background(), db); err != nil {
			t.Fatalf("prepare %s: %v", dsn, err)
		}
	}
	return db
}

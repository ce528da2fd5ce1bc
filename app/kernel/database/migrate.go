package database

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"gorm.io/gorm"
)

// Migrations are embedded SQL files named NNNN_topic.sql. One file serves both
// databases: it is a text/template that fills in the few types that differ
// ({{.ID}} for an identity key, {{.Time}} for a timestamp) and may branch on
// {{if .Postgres}}. A migration, once released, is never edited: a schema
// change is a new file, so a database made by any older build can be
// brought forward without losing data.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	body    string
}

var migrations = mustLoadMigrations()

func mustLoadMigrations() []migration {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var out []migration
	for _, f := range files {
		base := path.Base(f)
		num, name, ok := strings.Cut(strings.TrimSuffix(base, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("migration file name must be NNNN_topic.sql: " + base)
		}
		body, err := migrationFS.ReadFile(f)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: name, body: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			panic(fmt.Sprintf("migrations must be numbered 1..n without gaps; found %d at position %d", m.version, i+1))
		}
	}
	return out
}

// LatestVersion is the schema version this build needs.
func LatestVersion() int { return len(migrations) }

// Version reports the schema version of db (0 for an empty database).
//
// The table's existence is asked with a query whose error is returned:
// gorm's Migrator().HasTable says "no" when the query fails, and a
// database going down then read as an empty one (version 0, "schema
// outdated") instead of an unavailable one.
func Version(ctx context.Context, db *gorm.DB) (int, error) {
	exists := `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = CURRENT_SCHEMA() AND table_name = 'schema_migrations' AND table_type = 'BASE TABLE'`
	if DialectOf(db) == SQLite {
		exists = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	}
	var tables int64
	if err := db.WithContext(ctx).Raw(exists).Scan(&tables).Error; err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	if tables == 0 {
		return 0, nil
	}
	var v int
	err := db.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v).Error
	return v, err
}

// Migrate brings db up to version target, or to the latest when target is 0.
// Each migration runs in its own transaction together with its bookkeeping row.
// Every step, the creation of schema_migrations itself included, takes
// LockMigrations first, so replicas started together on an empty database
// take turns: on PostgreSQL two concurrent CREATE TABLE IF NOT EXISTS of one
// table do not both skip, one fails on the catalogue's unique index.
func Migrate(ctx context.Context, db *gorm.DB, target int) error {
	if target == 0 {
		target = LatestVersion()
	}
	dialect := DialectOf(db)
	db = db.WithContext(ctx)
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := Lock(tx, LockMigrations); err != nil {
			return err
		}
		return tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at ` + timeType(dialect) + ` NOT NULL)`).Error
	})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migrations[:target] {
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := Lock(tx, LockMigrations); err != nil {
				return err
			}
			var applied int64
			if err := tx.Raw("SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&applied).Error; err != nil {
				return err
			}
			if applied > 0 {
				return nil
			}
			stmts, err := render(m, dialect)
			if err != nil {
				return err
			}
			for _, s := range stmts {
				if err := tx.Exec(s).Error; err != nil {
					return fmt.Errorf("%s", firstLine(s)+": "+err.Error())
				}
			}
			return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UTC()).Error
		})
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

func timeType(d Dialect) string {
	if d == Postgres {
		return "TIMESTAMPTZ"
	}
	return "TIMESTAMP"
}

func render(m migration, d Dialect) ([]string, error) {
	t, err := template.New(m.name).Option("missingkey=error").Parse(m.body)
	if err != nil {
		return nil, err
	}
	data := struct {
		ID, Time string
		Postgres bool
	}{
		ID:       "INTEGER PRIMARY KEY AUTOINCREMENT",
		Time:     timeType(d),
		Postgres: d == Postgres,
	}
	if d == Postgres {
		data.ID = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	return splitStatements(buf.String()), nil
}

// splitStatements cuts a script at semicolons that end a line, except inside
// $$-quoted function bodies and BEGIN … END; trigger bodies, and drops
// comment-only pieces.
func splitStatements(script string) []string {
	var out []string
	var cur strings.Builder
	inBody, inBlock := false, false
	for _, line := range strings.SplitAfter(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") && cur.Len() == 0 {
			continue
		}
		if strings.Count(line, "$$")%2 == 1 {
			inBody = !inBody
		}
		switch strings.ToUpper(trimmed) {
		case "BEGIN":
			inBlock = true
		case "END;":
			inBlock = false
		}
		cur.WriteString(line)
		if !inBody && !inBlock && strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

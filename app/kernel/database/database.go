// Package database opens Cascade's store: an embedded SQLite file by default,
// or PostgreSQL when the DSN is a postgres:// URL. Opening always brings the
// schema up to date with the versioned migrations in migrations/.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// DefaultDSN is the embedded database used when neither --db nor CASCADE_DB is set.
const DefaultDSN = "data/cascade.db"

// Dialect names the database behind a *gorm.DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DialectOf reports which database db talks to.
func DialectOf(db *gorm.DB) Dialect {
	if db.Dialector.Name() == "postgres" {
		return Postgres
	}
	return SQLite
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn and migrates the schema to the latest version.
func Open(ctx context.Context, dsn string) (*gorm.DB, error) {
	db, err := Connect(dsn)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, 0); err != nil {
		Close(db)
		return nil, err
	}
	return db, nil
}

// Connect opens dsn without touching the schema.
func Connect(dsn string) (*gorm.DB, error) {
	cfg := &gorm.Config{
		TranslateError: true,
		Logger:         newQuietLogger(logger.Warn, time.Second),
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	var dialector gorm.Dialector
	if IsPostgres(dsn) {
		dialector = postgres.Open(dsn)
	} else {
		path, err := sqliteDSN(dsn)
		if err != nil {
			return nil, err
		}
		dialector = sqlite.New(sqlite.Config{DriverName: sqliteDriver, DSN: path})
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, unavailable(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, unavailable(err)
	}
	if DialectOf(db) == SQLite {
		// One writer at a time is SQLite's model; readers run in parallel under WAL.
		sqlDB.SetMaxOpenConns(8)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		Close(db)
		return nil, unavailable(err)
	}
	if DialectOf(db) == SQLite {
		startCheckpointer(sqlDB)
	}
	return db, nil
}

// sqliteDSN turns a file path into a go-sqlite3 DSN with the settings Cascade
// relies on: WAL so readers never block the writer, a busy timeout so writers
// queue instead of failing, foreign keys enforced, and IMMEDIATE transactions
// so that two writers never both read and then deadlock upgrading their locks.
func sqliteDSN(dsn string) (string, error) {
	path := strings.TrimPrefix(dsn, "file:")
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if path == "" {
		return "", errs.Invalidf("INVALID_DSN", "the database path is empty")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", errs.E(errs.Unavailable, "DB_UNAVAILABLE", "cannot create the database folder %s", dir).Wrap(err)
		}
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", errs.Invalidf("INVALID_DSN", "the database options %q are not a query string", query)
	}
	defaults := map[string]string{
		"_journal_mode": "WAL",
		"_busy_timeout": "10000",
		"_foreign_keys": "on",
		"_txlock":       "immediate",
		"_synchronous":  "NORMAL",
	}
	for k, v := range defaults {
		if params.Get(k) == "" {
			params.Set(k, v)
		}
	}
	return "file:" + path + "?" + params.Encode(), nil
}

// Close releases db's connections.
func Close(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		stopCheckpointer(sqlDB)
		_ = sqlDB.Close()
	}
}

// Ping checks that the database answers and the schema is current.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return unavailable(err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	v, err := Version(ctx, db)
	if err != nil {
		return unavailable(err)
	}
	if latest := LatestVersion(); v != latest {
		return errs.E(errs.Unavailable, "SCHEMA_OUTDATED", "the database schema is at version %d, this build needs %d", v, latest)
	}
	return nil
}

func unavailable(err error) error {
	return errs.E(errs.Unavailable, "DB_UNAVAILABLE", "the database is not reachable").Wrap(err)
}

// Translate maps storage errors to Cascade errors at the store's edge.
// notFound describes the missing thing for ErrRecordNotFound.
func Translate(err error, notFound string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return errs.NotFoundf("%s not found", notFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return errs.E(errs.Conflict, "ALREADY_EXISTS", "%s already exists", notFound).Wrap(err)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return errs.E(errs.Conflict, "IN_USE", "%s refers to, or is referred to by, another record", notFound).Wrap(err)
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	return fmt.Errorf("%s: %w", notFound, err)
}

// MaxSearchText bounds a free-text search, in characters: no name, brand,
// model or SKU is longer, and SQLite refuses a LIKE pattern past 50,000
// bytes with an error the caller could only read as the service's fault.
const MaxSearchText = 200

// ContainsPattern is the lowercase LIKE pattern (written with ESCAPE '\')
// that finds text anywhere in a value, or SEARCH_TOO_LONG.
func ContainsPattern(text string) (string, error) {
	if n := utf8.RuneCountInString(text); n > MaxSearchText {
		return "", errs.Invalidf("SEARCH_TOO_LONG", "a search is at most %d characters; this one has %d", MaxSearchText, n)
	}
	return "%" + strings.ToLower(EscapeLike(text)) + "%", nil
}

// EscapeLike escapes s for use inside a LIKE pattern written with ESCAPE '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// quietLogger logs slow and failed queries, except the constraint violations
// that stores expect and turn into user errors (a duplicate name is a 409, not
// an incident). A query that is neither slow nor failed returns before gorm's
// logger is called: that logger formats the statement with its values (fc)
// before deciding not to log it, which costs every request as much as the
// look-up itself.
type quietLogger struct {
	logger.Interface
	level logger.LogLevel
	slow  time.Duration
}

func newQuietLogger(level logger.LogLevel, slow time.Duration) quietLogger {
	return quietLogger{logger.NewSlogLogger(slog.Default(), logger.Config{
		SlowThreshold: slow, LogLevel: level, IgnoreRecordNotFoundError: true,
	}), level, slow}
}

func (l quietLogger) LogMode(level logger.LogLevel) logger.Interface {
	return quietLogger{l.Interface.LogMode(level), level, l.slow}
}

func (l quietLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if errors.Is(err, gorm.ErrDuplicatedKey) || errors.Is(err, gorm.ErrForeignKeyViolated) || errors.Is(err, gorm.ErrRecordNotFound) {
		err = nil
	}
	switch {
	case l.level <= logger.Silent:
		return
	case l.level < logger.Info && err == nil && (l.slow <= 0 || time.Since(begin) <= l.slow):
		return // nothing to log: leave the statement unformatted
	}
	l.Interface.Trace(ctx, begin, fc, err)
}

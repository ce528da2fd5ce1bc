package database_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

type classifyCase struct {
	name string
	err  error
	want bool
}

// An unavailable database is a 503 the client may retry; anything else is the
// client's fault or a bug, and a 503 would hide it. These are the errors the
// drivers really return, plus the server errors PostgreSQL sends while it
// shuts down, starts or refuses connections (SQLSTATE classes 08 and 57P).
func TestIsUnavailableTellsAnOutageFromABugByTheDriversCode(t *testing.T) {
	pg := func(code, msg string) error {
		severity := "ERROR"
		if strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57") || strings.HasPrefix(code, "53") {
			severity = "FATAL"
		}
		// As the stores see it: wrapped by Translate or a caller.
		return fmt.Errorf("supplier: %w", &pgconn.PgError{Severity: severity, Code: code, Message: msg})
	}
	for _, c := range []classifyCase{
		{"57P01 admin shutdown", pg("57P01", "terminating connection due to administrator command"), true},
		{"57P02 crash shutdown", pg("57P02", "terminating connection because of crash of another server process"), true},
		{"57P03 starting up", pg("57P03", "the database system is starting up"), true},
		{"57P03 not yet accepting", pg("57P03", "the database system is not yet accepting connections"), true},
		{"57P03 in recovery", pg("57P03", "the database system is in recovery mode"), true},
		{"53300 too many clients", pg("53300", "sorry, too many clients already"), true},
		{"08006 connection failure", pg("08006", "connection failure"), true},
		{"08001 unable to connect", pg("08001", "could not establish connection"), true},
		{"08P01 protocol violation", pg("08P01", "invalid frontend message type 0"), true},
		{"connection refused by the OS", dialClosedPort(t), true},
		{"pgx cannot reach the server", pgxDialClosedPort(t), true},
		{"bad connection", fmt.Errorf("query: %w", driver.ErrBadConn), true},
		{"connection cut mid-reply", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"pgx connection closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true},

		{"23505 unique violation", pg("23505", `duplicate key value violates unique constraint "suppliers_name_key"`), false},
		{"42601 syntax error", pg("42601", `syntax error at or near "SELEC"`), false},
		// A server error quoting a value someone typed is about that value, whatever it says.
		{"22P02 bad input quoting an outage", pg("22P02", `invalid input syntax for type bigint: "connection refused"`), false},
		{"nil", nil, false},
		{"plain error", errors.New("policy document has no rules"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := database.IsUnavailable(c.err); got != c.want {
				t.Fatalf("IsUnavailable(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
}

// The same, with errors produced by the real servers: a locked SQLite file,
// a PostgreSQL session killed by the administrator, a closed pool, and
// ordinary mistakes that must stay 4xx/500.
func TestIsUnavailableOnRealDriverErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		ctx := context.Background()
		if err := db.Exec("CREATE TABLE classify (x INT PRIMARY KEY)").Error; err != nil {
			t.Fatal(err)
		}
		db.Exec("INSERT INTO classify (x) VALUES (1)")
		cases := []classifyCase{
			{"unique violation", db.Exec("INSERT INTO classify (x) VALUES (1)").Error, false},
			{"syntax error", db.Exec("SELEC 1").Error, false},
			{"unknown table named like an outage", db.Exec(`SELECT * FROM "connection refused"`).Error, false},
			{"closed pool", closedPool(t, dsn), true},
		}
		if database.DialectOf(db) == database.SQLite {
			cases = append(cases,
				classifyCase{"SQLITE_BUSY: file locked by another writer", sqliteBusy(t, dsn), true},
				classifyCase{"SQLITE_LOCKED: table locked by another connection", sqliteLocked(t), true},
			)
		} else {
			cases = append(cases, classifyCase{"57P01: session terminated by the administrator", pgTerminated(ctx, t, db), true})
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.err == nil {
					t.Fatal("the driver returned no error")
				}
				if got := database.IsUnavailable(c.err); got != c.want {
					t.Fatalf("IsUnavailable(%v) = %v, want %v", c.err, got, c.want)
				}
			})
		}
	})
}

// dialClosedPort returns the *net.OpError of a TCP dial that nobody answers.
func dialClosedPort(t *testing.T) error {
	t.Helper()
	addr := closedPort(t)
	conn, err := net.Dial("tcp", addr)
	if err == nil {
		conn.Close()
		t.Fatalf("%s answered", addr)
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Fatalf("dial error %T is not a *net.OpError", err)
	}
	return err
}

// pgxDialClosedPort returns what gorm and pgx report when the server is down.
func pgxDialClosedPort(t *testing.T) error {
	t.Helper()
	dsn := fmt.Sprintf("postgres://postgres@%s/cascade?sslmode=disable&connect_timeout=5", closedPort(t))
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err == nil {
		database.Close(db)
		t.Fatal("connected to a closed port")
	}
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("error %T is not a *pgconn.ConnectError: %v", err, err)
	}
	return err
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func closedPool(t *testing.T, dsn string) error {
	t.Helper()
	db, err := database.Connect(dsn)
	if err != nil {
		t.Fatal(err)
	}
	database.Close(db)
	return db.Exec("SELECT 1").Error
}

// sqliteBusy holds the write lock of the file from one connection and asks
// for it from another that does not wait: SQLITE_BUSY, "database is locked".
func sqliteBusy(t *testing.T, path string) error {
	t.Helper()
	holder, err := database.Connect(path)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(holder)
	tx := holder.Begin() // _txlock=immediate: takes the write lock now
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	defer tx.Rollback()
	other, err := database.Connect(path + "?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(other)
	err = other.Exec("INSERT INTO classify (x) VALUES (2)").Error
	wantSQLiteCode(t, err, sqlite3.ErrBusy)
	return err
}

// sqliteLocked makes one connection of a shared cache read a table another
// is writing: SQLITE_LOCKED, "database table is locked".
func sqliteLocked(t *testing.T) error {
	t.Helper()
	dsn := "file:" + filepath.Base(t.TempDir()) + "?mode=memory&cache=shared"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	writer, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	reader, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for _, q := range []string{"CREATE TABLE t (x INT)", "BEGIN", "INSERT INTO t VALUES (1)"} {
		if _, err := writer.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer writer.ExecContext(ctx, "ROLLBACK")
	_, err = reader.ExecContext(ctx, "SELECT * FROM t")
	wantSQLiteCode(t, err, sqlite3.ErrLocked)
	return err
}

func wantSQLiteCode(t *testing.T, err error, code sqlite3.ErrNo) {
	t.Helper()
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("error %v is not SQLite code %d", err, code)
	}
}

// pgTerminated kills a session with pg_terminate_backend, as a fast shutdown
// does, and returns what the session's next query gets.
func pgTerminated(ctx context.Context, t *testing.T, db *gorm.DB) error {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	victim, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	var pid int
	if err := victim.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("SELECT pg_terminate_backend(?)", pid).Error; err != nil {
		t.Fatal(err)
	}
	_, err = victim.ExecContext(ctx, "SELECT 1")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57P01" {
		t.Fatalf("error after pg_terminate_backend = %v, want SQLSTATE 57P01", err)
	}
	return err
}

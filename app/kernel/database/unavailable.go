package database

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// IsUnavailable reports whether err means the database cannot be used right
// now (gone, restarting, locked by another process), as opposed to a bug or
// bad input: the request may succeed later, so it is a 503, not a 500.
//
// An error from the PostgreSQL server or from SQLite is decided by its code
// alone: its message can quote a value someone typed (`invalid input syntax
// for type bigint: "connection refused"`), and the same words mean an outage
// only when no code says otherwise.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableSQLState(pgErr.Code)
	}
	var liteErr sqlite3.Error
	if errors.As(err, &liteErr) {
		// BUSY: another process holds the file's lock past the busy timeout;
		// LOCKED: another connection of a shared cache holds a table.
		return liteErr.Code == sqlite3.ErrBusy || liteErr.Code == sqlite3.ErrLocked
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) {
		return true
	}
	for _, target := range []error{driver.ErrBadConn, sql.ErrConnDone, io.ErrUnexpectedEOF, pgconn.ErrConnClosed} {
		if errors.Is(err, target) {
			return true
		}
	}
	// Last, the words of errors that carry no code or type: database/sql's
	// "database is closed" is unexported, and a driver may flatten its cause.
	msg := err.Error()
	for _, s := range []string{
		"database is locked", "database is closed", "connection refused", "the database system is shutting down",
		"the database system is starting up", "terminating connection", "failed to connect", "conn closed",
		"unexpected EOF", "broken pipe", "connection reset", "no such host", "server closed the connection",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// unavailableSQLState reports whether a PostgreSQL error code means the
// server or the connection is away for now: class 08 (connection
// exception), 57P01-57P03 (administrator or crash shutdown, starting up, in
// recovery) and 53300 (too many connections).
func unavailableSQLState(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"):
		return true
	case code == "57P01", code == "57P02", code == "57P03", code == "53300":
		return true
	}
	return false
}

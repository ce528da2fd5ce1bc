package database

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TestTheQuietLoggerFormatsOnlyStatementsItLogs: gorm's logger builds the
// statement with its values (fc) before it decides whether to log, which
// cost every request as much as its look-up. The quiet logger decides first.
func TestTheQuietLoggerFormatsOnlyStatementsItLogs(t *testing.T) {
	failed := errors.New("disk I/O error")
	tests := []struct {
		name    string
		level   logger.LogLevel
		elapsed time.Duration
		err     error
		logged  bool
	}{
		{"a fast query that worked", logger.Warn, time.Millisecond, nil, false},
		{"a query that found no row", logger.Warn, time.Millisecond, gorm.ErrRecordNotFound, false},
		{"a duplicate key the store turns into a 409", logger.Warn, time.Millisecond, gorm.ErrDuplicatedKey, false},
		{"a foreign key the store turns into a 409", logger.Warn, time.Millisecond, gorm.ErrForeignKeyViolated, false},
		{"a failed query", logger.Warn, time.Millisecond, failed, true},
		{"a slow query", logger.Warn, 2 * time.Second, nil, true},
		{"anything at Silent", logger.Silent, 2 * time.Second, failed, false},
		{"every query at Info", logger.Info, time.Millisecond, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			l := quietLogger{logger.NewSlogLogger(slog.New(slog.NewTextHandler(&out, nil)), logger.Config{
				SlowThreshold: time.Second, LogLevel: tc.level, IgnoreRecordNotFoundError: true,
			}), tc.level, time.Second}
			formatted := 0
			l.Trace(context.Background(), time.Now().Add(-tc.elapsed), func() (string, int64) {
				formatted++
				return "SELECT 1", 1
			}, tc.err)
			if logged := out.Len() > 0; logged != tc.logged {
				t.Fatalf("logged = %v, want %v: %q", logged, tc.logged, out.String())
			}
			if (formatted > 0) != tc.logged {
				t.Fatalf("the statement was formatted %d times for logged = %v", formatted, tc.logged)
			}
		})
	}
	// LogMode keeps the decision with the new level.
	if l := newQuietLogger(logger.Warn, time.Second).LogMode(logger.Silent).(quietLogger); l.level != logger.Silent || l.slow != time.Second {
		t.Fatalf("LogMode(Silent) = %+v", l)
	}
}

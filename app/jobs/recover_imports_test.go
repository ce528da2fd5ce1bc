package jobs

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/vendors"
)

// The per-minute job fails the import of a process on another host that has
// sent no heartbeat for longer than imports.StaleAfter, and leaves a live one.
func TestTheMinuteJobFailsImportsWhoseProcessStopped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		ctx := access.With(context.Background(), access.System("test"))
		now := time.Now().UTC()
		for _, name := range []string{"Dead", "Alive"} {
			sup, err := vendors.NewStore(db).Create(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			heartbeat := now // alive
			if name == "Dead" {
				heartbeat = now.Add(-time.Hour)
			}
			err = db.Exec(`INSERT INTO import_batches (supplier_id, file_name, sha256, status, owner, heartbeat_at, started_at)
				VALUES (?, ?, 'x', 'running', 'another-host:1:0000', ?, ?)`, sup.ID, name, heartbeat, heartbeat).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		recoverImports(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		var batches []struct{ FileName, Status string }
		if err := db.Raw("SELECT file_name, status FROM import_batches ORDER BY file_name").Scan(&batches).Error; err != nil {
			t.Fatal(err)
		}
		want := []struct{ FileName, Status string }{{"Alive", "running"}, {"Dead", "failed"}}
		if !slices.Equal(batches, want) {
			t.Fatalf("after the job: %v", batches)
		}
	})
}

package web_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/web"

	_ "github.com/mattn/go-sqlite3"
)

// TestALockedSQLiteFileGives503AndTheServiceRecovers holds an exclusive
// lock on the database file from another connection, as a backup tool or a
// stuck process would: writes fail with 503 and a clear error, nothing is
// half-written, and once the lock goes the same server works again.
func TestALockedSQLiteFileGives503AndTheServiceRecovers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	db, err := database.Open(context.Background(), path+"?_busy_timeout=300")
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	ctx := access.With(context.Background(), access.System("test"))
	u, _ := auth.NewService(db).CreateUser(ctx, auth.NewUser{Email: "a@x.example", Role: access.Admin, Password: "a long enough password"})
	token, _, _ := auth.NewService(db).CreateToken(ctx, u.ID, "t", 0)
	w := &world{t: t, db: db, srv: web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil))), tokens: map[string]string{"admin": token}}
	if rec := w.request("admin", "GET", "/api/v1/me", nil); rec.Code != 200 {
		t.Fatalf("before the lock: %d", rec.Code)
	}

	locker, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	before := count(t, db, "suppliers")
	rec := w.request("admin", "POST", "/api/v1/suppliers", map[string]string{"name": "During the lock"})
	if rec.Code != 503 || errorCode(t, rec) != "DB_UNAVAILABLE" || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "try again") {
		t.Fatalf("write under lock: %d %s", rec.Code, rec.Body.String())
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if count(t, db, "suppliers") != before {
		t.Fatal("a refused write left a row behind")
	}
	if rec := w.request("admin", "POST", "/api/v1/suppliers", map[string]string{"name": "After the lock"}); rec.Code != 201 {
		t.Fatalf("after the lock: %d %s", rec.Code, rec.Body.String())
	}
}

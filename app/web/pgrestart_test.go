//go:build pgrestart

package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// The phases of the outage, as the requests see them.
const (
	pgUp       int32 = iota // before the stop: everything works
	pgStopping              // pg_ctlcluster stop running: sessions are being terminated
	pgDown                  // the server is stopped and held down
	pgStarting              // pg_ctlcluster start running, and after: Cascade must come back
)

var pgPhaseNames = []string{"up", "stopping", "down", "starting"}

// pgHold is how long the server stays down while requests keep coming: long
// enough that the outage is seen whatever the machine's speed.
const pgHold = 3 * time.Second

// TestPostgresRestart stops the PostgreSQL server under a running Cascade,
// holds it down, and starts it again (run alone: `go test -tags pgrestart
// -run TestPostgresRestart ./app/web`, as .ci/run does after the suite, since
// it interrupts every other user of the server). While it is down, every
// request (a write, a read, /readyz) fails with 503 and the API's error body
// with code DB_UNAVAILABLE, never another status; writes are all-or-nothing,
// with their audit entries; afterwards the same process serves again.
func TestPostgresRestart(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	ctx := access.With(context.Background(), access.System("test"))
	u, err := auth.NewService(db).CreateUser(ctx, auth.NewUser{Email: "a@x.example", Role: access.Admin, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.NewService(db).CreateToken(ctx, u.ID, "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, srv: web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil))), tokens: map[string]string{"admin": token}}

	versions, _ := os.ReadDir("/etc/postgresql")
	if len(versions) == 0 {
		t.Fatal("no PostgreSQL cluster on this machine")
	}
	pgctl := func(action string) error {
		out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", versions[0].Name(), "main", action).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pg_ctlcluster %s: %v: %s", action, err, out)
		}
		return nil
	}
	var phase atomic.Int32
	outage, outageOver := make(chan error, 1), make(chan struct{})
	t.Cleanup(func() {
		// Never leave the server down for the next user, whatever failed.
		if phase.Load() != pgUp {
			<-outageOver
			if exec.Command("pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "1").Run() != nil {
				pgctl("start")
			}
		}
	})

	var acknowledged, refused []string
	byPhase := make([]int, len(pgPhaseNames))
	sent := 0
	// round sends a write, a read and a readiness probe, and reports whether all three worked.
	round := func() bool {
		name := fmt.Sprintf("During %d", sent)
		sent++
		ok := true
		for _, r := range []struct{ method, path string }{{"POST", "/api/v1/suppliers"}, {"GET", "/api/v1/suppliers"}, {"GET", "/readyz"}} {
			var body any
			if r.method == "POST" {
				body = map[string]string{"name": name}
			}
			before := phase.Load()
			rec := w.request("admin", r.method, r.path, body)
			after := phase.Load()
			if rec.Code < 300 {
				if before == pgDown && after == pgDown {
					t.Fatalf("%s %s answered %d while PostgreSQL was down", r.method, r.path, rec.Code)
				}
				if r.method == "POST" {
					acknowledged = append(acknowledged, name)
				}
				continue
			}
			ok = false
			if rec.Code != 503 || unavailableCode(rec.Body.Bytes()) != "DB_UNAVAILABLE" {
				t.Fatalf("%s %s while PostgreSQL was %s: %d %s, want 503 DB_UNAVAILABLE", r.method, r.path, pgPhaseNames[before], rec.Code, rec.Body.String())
			}
			if before == pgUp && after == pgUp {
				t.Fatalf("%s %s answered 503 before PostgreSQL stopped: %s", r.method, r.path, rec.Body.String())
			}
			byPhase[before]++
			if r.method == "POST" {
				refused = append(refused, name)
			}
		}
		time.Sleep(10 * time.Millisecond)
		return ok
	}

	for range 10 {
		round()
	}
	phase.Store(pgStopping)
	go func() {
		defer close(outageOver)
		err := pgctl("stop")
		if err == nil {
			phase.Store(pgDown)
			time.Sleep(pgHold)
			phase.Store(pgStarting)
			err = pgctl("start")
		}
		outage <- err
	}()
	// Recovery without a restart of Cascade: after the server is back,
	// within a bounded time, ten rounds in a row work.
	var recoveredBy time.Time
	started, inARow := false, 0
	for inARow < 10 {
		ok := round()
		if !started {
			select {
			case err := <-outage:
				if err != nil {
					t.Fatal(err)
				}
				started, recoveredBy = true, time.Now().Add(20*time.Second)
			default:
			}
			continue
		}
		if ok {
			inARow++
		} else {
			inARow = 0
		}
		if time.Now().After(recoveredBy) {
			t.Fatalf("Cascade did not recover within 20 s of PostgreSQL coming back (%d rounds in a row worked)", inARow)
		}
	}
	phase.Store(pgUp)
	t.Logf("%d writes acknowledged, %d refused; 503s by phase: %v %v", len(acknowledged), len(refused), pgPhaseNames, byPhase)
	if byPhase[pgDown] < 10 {
		t.Fatalf("%d requests refused while PostgreSQL was down for %v: the outage was not observed", byPhase[pgDown], pgHold)
	}

	// Nothing half-written: every acknowledged write is stored with its audit
	// entry, a refused one is not (unless its commit raced the shutdown), and
	// the audit chain is whole.
	var stored []struct {
		ID     int64
		Name   string
		Audits int
	}
	err = db.Raw(`SELECT s.id, s.name, (SELECT COUNT(*) FROM audit_entries a WHERE a.entity = 'supplier' AND a.entity_id = CAST(s.id AS TEXT)) AS audits
		FROM suppliers s WHERE s.name LIKE 'During %'`).Scan(&stored).Error
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	raced := 0
	for _, s := range stored {
		names[s.Name] = true
		if s.Audits != 1 {
			t.Fatalf("supplier %q is stored with %d audit entries", s.Name, s.Audits)
		}
		if !slices.Contains(acknowledged, s.Name) {
			raced++
		}
	}
	for _, name := range acknowledged {
		if !names[name] {
			t.Fatalf("supplier %q was acknowledged but is not stored", name)
		}
	}
	if raced > 1 {
		t.Fatalf("%d refused writes are stored: only the one in flight when the server stopped may be", raced)
	}
	rep, err := audit.NewLog(db).Verify(access.With(context.Background(), access.System("test")))
	if err != nil || !rep.OK {
		t.Fatalf("audit chain after the restart: %+v %v", rep, err)
	}
}

// unavailableCode returns the code of the API's one error shape, or "" if
// the body is not {"error": {"code", "message"}} with both set.
func unavailableCode(body []byte) string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}

package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// startUpEntries are the audit entries every database starts with: the
// default policy's upload and activation, by the first command that opens it.
const startUpEntries = 2

var checkpointLine = regexp.MustCompile(`^\{"seq":(\d+),"hash":"[0-9a-f]{64}","at":"[0-9T:Z-]+","hmac":(null|"[0-9a-f]{64}")\}\n$`)

func TestAuditCheckpointPrintsTheHeadAsOneJSONLine(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "cp.db")
	run(t, dsn, "", "supplier", "add", "One")
	run(t, dsn, "", "supplier", "add", "Two")

	t.Setenv("CASCADE_AUDIT_KEY", "")
	r := run(t, dsn, "", "audit", "checkpoint")
	if m := checkpointLine.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[1] != strconv.Itoa(startUpEntries+2) || m[2] != "null" {
		t.Fatalf("unsigned checkpoint: %+v", r)
	}
	t.Setenv("CASCADE_AUDIT_KEY", "correct horse battery staple")
	r = run(t, dsn, "", "audit", "checkpoint")
	if m := checkpointLine.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[1] != strconv.Itoa(startUpEntries+2) || m[2] == "null" {
		t.Fatalf("signed checkpoint: %+v", r)
	}
	t.Setenv("CASCADE_AUDIT_KEY", "short")
	if r := run(t, dsn, "", "audit", "checkpoint"); r.code == 0 || !strings.Contains(r.stderr, "INVALID_AUDIT_KEY") {
		t.Fatalf("a short key must be refused: %+v", r)
	}
}

// dropAuditTriggers is what the tables' owner, a superuser or anyone who can
// write the SQLite file can do before rewriting the log.
func dropAuditTriggers(t *testing.T, db *gorm.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete",
		"DROP TRIGGER audit_entries_append_at_head", "DROP TRIGGER audit_head_no_insert",
		"DROP TRIGGER audit_head_advance_only", "DROP TRIGGER audit_head_no_delete"}
	if database.DialectOf(db) == database.Postgres {
		stmts = []string{"DROP TRIGGER audit_entries_append_only ON audit_entries",
			"DROP TRIGGER audit_entries_append_at_head ON audit_entries", "DROP TRIGGER audit_entries_no_truncate ON audit_entries",
			"DROP TRIGGER audit_head_guard ON audit_head", "DROP TRIGGER audit_head_no_truncate ON audit_head"}
	}
	for _, s := range stmts {
		if err := db.Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestAuditVerifyCheckpointFailsWhenTheChainNoLongerHoldsIt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string, db *gorm.DB) {
		t.Setenv("CASCADE_AUDIT_KEY", "correct horse battery staple")
		file := filepath.Join(t.TempDir(), "checkpoints.jsonl")
		checkpoint := func() {
			t.Helper()
			r := run(t, dsn, "", "audit", "checkpoint")
			f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil || r.code != 0 {
				t.Fatalf("checkpoint: %+v %v", r, err)
			}
			f.WriteString(r.stdout)
			f.Close()
		}
		for _, name := range []string{"One", "Two", "Three"} {
			run(t, dsn, "", "supplier", "add", name)
		}
		checkpoint()
		run(t, dsn, "", "supplier", "add", "Four")
		run(t, dsn, "", "supplier", "add", "Five")
		checkpoint()
		if r := run(t, dsn, "", "audit", "verify", "--checkpoint", file); r.code != 0 || !strings.Contains(r.stdout, "checkpoints: 2 of 2 still in the chain (HMACs checked)") {
			t.Fatalf("verify with checkpoints: %+v", r)
		}

		// Someone able to drop the triggers cuts the last two entries off and moves the head back.
		dropAuditTriggers(t, db)
		kept := startUpEntries + 3 // up to the third supplier's
		var third string
		db.Raw("SELECT hash FROM audit_entries WHERE seq = ?", kept).Scan(&third)
		for _, s := range []string{fmt.Sprintf("DELETE FROM audit_entries WHERE seq > %d", kept), fmt.Sprintf("UPDATE audit_head SET seq = %d, hash = '%s' WHERE id = 1", kept, third)} {
			if err := db.Exec(s).Error; err != nil {
				t.Fatal(err)
			}
		}
		if r := run(t, dsn, "", "audit", "verify"); r.code != 0 {
			t.Fatalf("the chain alone should look intact after this rewrite: %+v", r)
		}
		r := run(t, dsn, "", "audit", "verify", "--checkpoint", file)
		if r.code != 1 || !strings.Contains(r.stdout, fmt.Sprintf("checkpoint FAILED (line 2, entry %d): entry %[1]d is no longer in the chain", kept+2)) || !strings.Contains(r.stdout, "1 of 2 still") {
			t.Fatalf("verify must fail on the lost checkpoint: %+v", r)
		}

		// A checkpoint file edited to match the rewritten chain fails its HMAC.
		lines, _ := os.ReadFile(file)
		first, _, _ := strings.Cut(string(lines), "\n")
		forged := filepath.Join(t.TempDir(), "forged.jsonl")
		edited := regexp.MustCompile(`"at":"[^"]+"`).ReplaceAllString(first, `"at":"2020-01-01T00:00:00Z"`)
		os.WriteFile(forged, []byte(edited+"\n"), 0o600)
		if r := run(t, dsn, "", "audit", "verify", "--checkpoint", forged); r.code != 1 || !strings.Contains(r.stdout, "HMAC does not verify") {
			t.Fatalf("an edited checkpoint must fail its HMAC: %+v", r)
		}
		if r := run(t, dsn, "", "audit", "verify", "--checkpoint", filepath.Join(t.TempDir(), "missing")); r.code == 0 || !strings.Contains(r.stderr, "CHECKPOINT_FILE") {
			t.Fatalf("a missing checkpoint file: %+v", r)
		}
	})
}

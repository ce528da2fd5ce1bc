package audit_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

var checkpointLine = regexp.MustCompile(`^\{"seq":(\d+),"hash":"([0-9a-f]{64})","at":"([^"]+)","hmac":(null|"[0-9a-f]{64}")\}$`)

func TestCheckpointIsOneJSONLineSignedOnlyWithAKey(t *testing.T) {
	db := dbtest.SQLite(t)
	record(t, db, 3)
	key := []byte("a key of at least sixteen bytes")
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"without a key hmac is null", nil}, {"with a key hmac is HMAC-SHA256", key}} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := audit.NewLog(db).Checkpoint(admin, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			line := c.JSON()
			m := checkpointLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("checkpoint line %s", line)
			}
			var head struct{ Hash string }
			db.Table("audit_head").First(&head)
			if m[1] != "3" || m[2] != head.Hash {
				t.Fatalf("checkpoint %s is not the head (3, %s)", line, head.Hash)
			}
			at, err := time.Parse(time.RFC3339, m[3])
			if err != nil || time.Since(at) > time.Minute || at.Location() != time.UTC {
				t.Fatalf("at %q: %v", m[3], err)
			}
			if tc.key == nil {
				if m[4] != "null" {
					t.Fatalf("hmac without a key: %s", m[4])
				}
			} else {
				mac := hmac.New(sha256.New, tc.key)
				fmt.Fprintf(mac, "cascade audit checkpoint v1\n%s\n%s\n%s", m[1], m[2], m[3])
				if want := `"` + hex.EncodeToString(mac.Sum(nil)) + `"`; m[4] != want {
					t.Fatalf("hmac %s, want %s", m[4], want)
				}
			}
			parsed, err := audit.ParseCheckpoints(strings.NewReader("\n" + line + "\n"))
			if err != nil || len(parsed) != 1 || parsed[0].JSON() != line || parsed[0].Line != 2 {
				t.Fatalf("round trip: %+v %v", parsed, err)
			}
		})
	}
}

func TestCheckpointsRefuseWhatIsNotACheckpoint(t *testing.T) {
	for _, bad := range []string{
		"",
		"not json",
		`{"seq":-1,"hash":"x","at":"2026-01-01T00:00:00Z","hmac":null}`,
		`{"hash":"x","at":"2026-01-01T00:00:00Z","hmac":null}`,
		`{"seq":1,"hash":"x","at":"yesterday","hmac":null}`,
		`{"seq":1,"hash":"x","at":"2026-01-01T00:00:00Z","hmac":"zz"}`,
		`{"seq":1,"hash":"x","at":"2026-01-01T00:00:00Z","hmac":null,"extra":1}`,
		`{"msg":"something else","checkpoint":{"seq":1,"hash":"x","at":"2026-01-01T00:00:00Z","hmac":null}}`,
	} {
		if _, err := audit.ParseCheckpoints(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "INVALID_CHECKPOINT") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	logged := `{"time":"2026-01-01T00:00:00Z","level":"INFO","msg":"audit checkpoint","checkpoint":{"seq":1,"hash":"x","at":"2026-01-01T00:00:00Z","hmac":null}}`
	if cps, err := audit.ParseCheckpoints(strings.NewReader(logged)); err != nil || len(cps) != 1 || cps[0].Seq != 1 {
		t.Fatalf("the server's log record of a checkpoint: %+v %v", cps, err)
	}
}

// An attacker who can drop the triggers can rewrite the chain so that Verify
// finds nothing; checkpoints kept elsewhere still show what was lost.
func TestCheckpointsDetectARewriteThatVerifyCannot(t *testing.T) {
	key := []byte("a key of at least sixteen bytes")
	tests := []struct {
		name   string
		attack func(t *testing.T, db *gorm.DB, before []audit.Entry)
		lost   map[int64]string // checkpoint seq -> problem
	}{
		{
			name: "tail deleted and head moved back",
			attack: func(t *testing.T, db *gorm.DB, before []audit.Entry) {
				exec(t, db, "DELETE FROM audit_entries WHERE seq > 3")
				exec(t, db, "UPDATE audit_head SET seq = 3, hash = ? WHERE id = 1", before[2].Hash)
			},
			lost: map[int64]string{5: "no longer in the chain"},
		},
		{
			name: "log emptied and a prefix re-inserted",
			attack: func(t *testing.T, db *gorm.DB, before []audit.Entry) {
				if database.DialectOf(db) == database.Postgres {
					exec(t, db, "TRUNCATE audit_entries")
				} else {
					exec(t, db, "DELETE FROM audit_entries")
				}
				for _, e := range before[:3] {
					exec(t, db, "INSERT "+insertEntry, insertArgs(e)...)
				}
				exec(t, db, "UPDATE audit_head SET seq = 3, hash = ? WHERE id = 1", before[2].Hash)
			},
			lost: map[int64]string{5: "no longer in the chain"},
		},
		{
			name: "entries from 2 on rewritten and re-chained",
			attack: func(t *testing.T, db *gorm.DB, before []audit.Entry) {
				exec(t, db, "DELETE FROM audit_entries WHERE seq >= 2")
				prev := before[0].Hash
				for _, e := range before[1:] {
					f := forge(e, prev, `{"i":"forged"}`)
					exec(t, db, "INSERT "+insertEntry, insertArgs(f)...)
					prev = f.Hash
				}
				exec(t, db, "UPDATE audit_head SET hash = ? WHERE id = 1", prev)
			},
			lost: map[int64]string{3: "rewritten", 5: "rewritten"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
				log := audit.NewLog(db)
				record(t, db, 3)
				cp3, err := log.Checkpoint(admin, key)
				if err != nil {
					t.Fatal(err)
				}
				record(t, db, 2)
				cp5, err := log.Checkpoint(admin, key)
				if err != nil {
					t.Fatal(err)
				}
				before := entries(t, db)
				dropAppendOnlyGuards(t, db)
				tc.attack(t, db, before)

				if r, err := log.Verify(admin); err != nil || !r.OK {
					t.Fatalf("the attack should fool Verify alone: %+v %v", r, err)
				}
				problems, err := log.VerifyCheckpoints(admin, []audit.Checkpoint{cp3, cp5}, key)
				if err != nil {
					t.Fatal(err)
				}
				got := map[int64]string{}
				for _, p := range problems {
					got[p.Checkpoint.Seq] = p.Problem
				}
				if len(got) != len(tc.lost) {
					t.Fatalf("problems %+v, want %v", problems, tc.lost)
				}
				for seq, want := range tc.lost {
					if !strings.Contains(got[seq], want) {
						t.Fatalf("checkpoint %d: %q, want %q", seq, got[seq], want)
					}
				}
			})
		})
	}
}

func TestACheckpointForgedWithoutTheKeyDoesNotVerify(t *testing.T) {
	db := dbtest.SQLite(t)
	log := audit.NewLog(db)
	key := []byte("a key of at least sixteen bytes")
	record(t, db, 2)
	signed, err := log.Checkpoint(admin, key)
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := log.Checkpoint(admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	edited := signed
	edited.At = "2020-01-01T00:00:00Z"
	otherKey, err := log.Checkpoint(admin, []byte("somebody else's sixteen bytes"))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]audit.Checkpoint{"signed": signed} {
		if p, err := log.VerifyCheckpoints(admin, []audit.Checkpoint{c}, key); err != nil || len(p) != 0 {
			t.Fatalf("%s: %+v %v", name, p, err)
		}
	}
	for name, c := range map[string]audit.Checkpoint{"unsigned": unsigned, "edited": edited, "another key": otherKey} {
		p, err := log.VerifyCheckpoints(admin, []audit.Checkpoint{c}, key)
		if err != nil || len(p) != 1 || !strings.Contains(p[0].Problem, audit.EnvKey) {
			t.Errorf("%s checkpoint accepted with the key set: %+v %v", name, p, err)
		}
	}
	// Without a key nothing is signed or checked: only the chain counts.
	if p, err := log.VerifyCheckpoints(admin, []audit.Checkpoint{unsigned, signed}, nil); err != nil || len(p) != 0 {
		t.Fatalf("without a key: %+v %v", p, err)
	}
}

func TestOnlyAdminsTakeOrCheckCheckpoints(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := access.With(context.Background(), access.Principal{UserID: 9, Role: access.CategoryManager})
	if _, err := audit.NewLog(db).Checkpoint(ctx, nil); err == nil {
		t.Error("a category manager took a checkpoint")
	}
	if _, err := audit.NewLog(db).VerifyCheckpoints(ctx, nil, nil); err == nil {
		t.Error("a category manager checked checkpoints")
	}
}

func TestACheckpointOfABrokenHeadIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		record(t, db, 2)
		dropAppendOnlyGuards(t, db)
		exec(t, db, "DELETE FROM audit_entries WHERE seq = 2")
		if _, err := audit.NewLog(db).Checkpoint(admin, nil); err == nil || !strings.Contains(err.Error(), "AUDIT_CHAIN_BROKEN") {
			t.Fatalf("checkpoint of a head naming a deleted entry: %v", err)
		}
	})
}

// The server logs a checkpoint each round as one JSON record whose
// "checkpoint" is the line, and says so loudly when the previous one no
// longer holds.
func TestAnchorLogsEachCheckpointAndNoticesARewrite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		var buf bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&buf, nil))
		l := audit.NewLog(db)
		var observed []int64
		var holds []bool
		observe := func(c audit.Checkpoint, ok bool) { observed = append(observed, c.Seq); holds = append(holds, ok) }

		record(t, db, 3)
		prev := audit.AnchorOnce(l, admin, logger, nil, nil, observe)
		var rec struct {
			Level, Msg string
			Checkpoint json.RawMessage
		}
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", buf.String(), err)
		}
		if rec.Msg != "audit checkpoint" || rec.Level != "INFO" || !checkpointLine.Match(rec.Checkpoint) {
			t.Fatalf("log record %s", buf.String())
		}
		if cps, err := audit.ParseCheckpoints(&buf); err != nil || cps[0].JSON() != prev.JSON() {
			t.Fatalf("the log record is not a checkpoint file line: %+v %v", cps, err)
		}

		record(t, db, 1)
		prev = audit.AnchorOnce(l, admin, logger, nil, prev, observe)
		before := entries(t, db)
		dropAppendOnlyGuards(t, db)
		exec(t, db, "DELETE FROM audit_entries WHERE seq > 2")
		exec(t, db, "UPDATE audit_head SET seq = 2, hash = ? WHERE id = 1", before[1].Hash)
		buf.Reset()
		audit.AnchorOnce(l, admin, logger, nil, prev, observe)
		if !strings.Contains(buf.String(), `"level":"ERROR","msg":"audit chain rewritten`) || !strings.Contains(buf.String(), "entry 4 is no longer in the chain") {
			t.Fatalf("a lost tail was not reported: %s", buf.String())
		}
		if fmt.Sprint(observed, holds) != "[3 4 2] [true true false]" {
			t.Fatalf("observed %v %v", observed, holds)
		}
	})
}

func exec(t *testing.T, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

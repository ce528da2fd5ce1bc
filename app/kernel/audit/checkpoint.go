package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// EnvKey names the environment variable holding the secret that signs checkpoints.
const EnvKey = "CASCADE_AUDIT_KEY"

// MinKeyLen is the shortest CASCADE_AUDIT_KEY accepted.
const MinKeyLen = 16

// Checkpoint anchors the chain outside the database: the head's seq and hash
// at a moment, optionally HMAC-signed. Whoever rewrites the chain after a
// checkpoint was stored elsewhere (logs, a ticket, a notary) cannot make that
// checkpoint match it again: VerifyCheckpoints finds the difference.
//
// As JSON it is one line, {"seq":N,"hash":"<hex>","at":"<RFC 3339>","hmac":"<hex>"|null}.
// The HMAC is HMAC-SHA256 with CASCADE_AUDIT_KEY over SignedText.
type Checkpoint struct {
	Seq  int64   `json:"seq"`
	Hash string  `json:"hash"` // "genesis" for an empty log
	At   string  `json:"at"`   // when the head was read, RFC 3339 UTC
	HMAC *string `json:"hmac"` // nil without a key

	Line int `json:"-"` // where ParseCheckpoints read it, for reports
}

// SignedText is what the HMAC covers: a fixed prefix, then seq, hash and at, one a line.
func (c Checkpoint) SignedText() string {
	return "cascade audit checkpoint v1\n" + strconv.FormatInt(c.Seq, 10) + "\n" + c.Hash + "\n" + c.At
}

func (c Checkpoint) mac(key []byte) string {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, c.SignedText())
	return hex.EncodeToString(m.Sum(nil))
}

// JSON is the checkpoint as one line of JSON, without a newline.
func (c Checkpoint) JSON() string {
	b, _ := json.Marshal(c) // a struct of strings and ints always marshals
	return string(b)
}

// KeyFromEnv returns CASCADE_AUDIT_KEY's bytes, or nil when it is unset.
func KeyFromEnv() ([]byte, error) {
	k := os.Getenv(EnvKey)
	if k == "" {
		return nil, nil
	}
	if len(k) < MinKeyLen {
		return nil, errs.Invalidf("INVALID_AUDIT_KEY", "%s must be at least %d bytes long", EnvKey, MinKeyLen)
	}
	return []byte(k), nil
}

// Checkpoint reads the head, checks that the newest entry is the one it
// names and still matches its own hash, and returns it signed with key (if
// any). Only admins may take one.
func (l *Log) Checkpoint(ctx context.Context, key []byte) (Checkpoint, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return Checkpoint{}, err
	}
	db := l.db.WithContext(ctx)
	var h head
	if err := db.First(&h, 1).Error; err != nil {
		return Checkpoint{}, fmt.Errorf("audit head: %w", err)
	}
	if h.Seq > 0 {
		var e Entry
		err := db.Where("seq = ?", h.Seq).First(&e).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return Checkpoint{}, fmt.Errorf("audit read: %w", err)
		}
		if err != nil || e.Hash != h.Hash || e.computeHash() != e.Hash {
			return Checkpoint{}, errs.E(errs.Conflict, "AUDIT_CHAIN_BROKEN",
				"the audit head names entry %d, which is missing or altered: run cascade audit verify", h.Seq)
		}
	}
	c := Checkpoint{Seq: h.Seq, Hash: h.Hash, At: time.Now().UTC().Format(time.RFC3339)}
	if key != nil {
		m := c.mac(key)
		c.HMAC = &m
	}
	return c, nil
}

// ParseCheckpoints reads one checkpoint per line; blank lines are skipped. A
// line may also be the server's slog record of one ({"msg":"audit
// checkpoint","checkpoint":{…}}), so log lines can be kept as they are.
func ParseCheckpoints(r io.Reader) ([]Checkpoint, error) {
	var out []Checkpoint
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		c, err := parseCheckpoint(line)
		if err != nil {
			return nil, errs.Invalidf("INVALID_CHECKPOINT", "line %d is not a checkpoint: %v", n, err)
		}
		c.Line = n
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, errs.Invalidf("INVALID_CHECKPOINT", "line %d: %v", n+1, err)
	}
	if len(out) == 0 {
		return nil, errs.Invalidf("INVALID_CHECKPOINT", "the file holds no checkpoint")
	}
	return out, nil
}

func parseCheckpoint(line []byte) (Checkpoint, error) {
	var logged struct {
		Msg        string          `json:"msg"`
		Checkpoint json.RawMessage `json:"checkpoint"`
	}
	if err := json.Unmarshal(line, &logged); err != nil {
		return Checkpoint{}, err
	}
	if logged.Checkpoint != nil {
		if logged.Msg != LogMessage {
			return Checkpoint{}, fmt.Errorf("a log record %q, not %q", logged.Msg, LogMessage)
		}
		line = logged.Checkpoint
	}
	var c struct {
		Seq  *int64  `json:"seq"`
		Hash string  `json:"hash"`
		At   string  `json:"at"`
		HMAC *string `json:"hmac"`
	}
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return Checkpoint{}, err
	}
	switch {
	case c.Seq == nil || *c.Seq < 0:
		return Checkpoint{}, errors.New("seq missing or negative")
	case c.Hash == "":
		return Checkpoint{}, errors.New("hash missing")
	case c.HMAC != nil && !isHex(*c.HMAC, sha256.Size):
		return Checkpoint{}, errors.New("hmac is not 64 hex digits")
	}
	if _, err := time.Parse(time.RFC3339, c.At); err != nil {
		return Checkpoint{}, fmt.Errorf("at: %w", err)
	}
	return Checkpoint{Seq: *c.Seq, Hash: c.Hash, At: c.At, HMAC: c.HMAC}, nil
}

func isHex(s string, n int) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == n
}

// CheckpointProblem says why one checkpoint does not hold.
type CheckpointProblem struct {
	Checkpoint Checkpoint
	Problem    string
}

// VerifyCheckpoints checks each checkpoint against the stored chain: the
// entry with its seq must still exist with its hash, and, when key is
// set, its HMAC must verify (an unsigned checkpoint then fails too). It
// returns the checkpoints that do not hold. Together with Verify (the chain
// links every entry to the one before) a checkpoint that holds proves that
// nothing up to it was changed, and that the log still reaches it.
func (l *Log) VerifyCheckpoints(ctx context.Context, cps []Checkpoint, key []byte) ([]CheckpointProblem, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return nil, err
	}
	db := l.db.WithContext(ctx)
	var out []CheckpointProblem
	for _, c := range cps {
		problem, err := l.checkOne(db, c, key)
		if err != nil {
			return nil, err
		}
		if problem != "" {
			out = append(out, CheckpointProblem{Checkpoint: c, Problem: problem})
		}
	}
	return out, nil
}

func (l *Log) checkOne(db *gorm.DB, c Checkpoint, key []byte) (string, error) {
	if key != nil {
		if c.HMAC == nil {
			return "it is not signed, but " + EnvKey + " is set", nil
		}
		if !hmac.Equal([]byte(*c.HMAC), []byte(c.mac(key))) {
			return "its HMAC does not verify: it was altered or not signed with this " + EnvKey, nil
		}
	}
	if c.Seq == 0 {
		if c.Hash != "genesis" {
			return "entry 0 is the genesis, whose hash is \"genesis\"", nil
		}
		return "", nil
	}
	var hashes []string
	if err := db.Model(&Entry{}).Where("seq = ?", c.Seq).Limit(1).Pluck("hash", &hashes).Error; err != nil {
		return "", fmt.Errorf("audit read: %w", err)
	}
	switch {
	case len(hashes) == 0:
		return fmt.Sprintf("entry %d is no longer in the chain (entries were deleted after this checkpoint)", c.Seq), nil
	case hashes[0] != c.Hash:
		return fmt.Sprintf("entry %d no longer has the checkpoint's hash (the chain was rewritten)", c.Seq), nil
	}
	return "", nil
}

// LogMessage is the msg of the server's checkpoint log records.
const LogMessage = "audit checkpoint"

// Anchor takes a checkpoint now and then every interval until ctx ends. It
// logs each one at Info as LogMessage with the checkpoint as attribute
// "checkpoint", checks that the previous one is still in the chain (logging
// an error when not), and hands both outcomes to observe (which may be nil).
func (l *Log) Anchor(ctx context.Context, log *slog.Logger, every time.Duration, key []byte, observe func(c Checkpoint, previousHolds bool)) {
	var prev *Checkpoint
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		prev = l.anchorOnce(ctx, log, key, prev, observe)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (l *Log) anchorOnce(ctx context.Context, log *slog.Logger, key []byte, prev *Checkpoint, observe func(Checkpoint, bool)) *Checkpoint {
	holds := true
	if prev != nil {
		problems, err := l.VerifyCheckpoints(ctx, []Checkpoint{*prev}, key)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("audit checkpoint: cannot check the previous one", "err", err)
			}
			return prev
		}
		if len(problems) > 0 {
			holds = false
			log.Error("audit chain rewritten: an earlier checkpoint no longer holds", "checkpoint", *prev, "problem", problems[0].Problem)
		}
	}
	c, err := l.Checkpoint(ctx, key)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("audit checkpoint failed", "err", err)
		}
		return prev
	}
	log.Info(LogMessage, "checkpoint", c)
	if observe != nil {
		observe(c, holds)
	}
	if !holds {
		return prev // keep reporting the lost checkpoint until someone looks
	}
	return &c
}

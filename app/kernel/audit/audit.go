// Package audit keeps Cascade's append-only, hash-chained log of every change.
//
// Each entry's hash covers its own fields and the hash of the entry before it,
// and audit_head stores the newest link. Editing an entry breaks its hash,
// deleting one breaks the next entry's link, and deleting the tail no longer
// matches the head: Verify finds all three.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

// Entry is one recorded change.
type Entry struct {
	Seq      int64     `json:"seq" gorm:"primaryKey;autoIncrement:false"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Entity   string    `json:"entity"`
	EntityID string    `json:"entity_id"`
	Data     string    `json:"data"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

func (Entry) TableName() string { return "audit_entries" }

type head struct {
	ID   int
	Seq  int64
	Hash string
}

func (head) TableName() string { return "audit_head" }

// Record appends an entry inside tx, the transaction that makes the change,
// so the change and its audit entry commit or roll back together.
// The actor is the principal in ctx.
func Record(ctx context.Context, tx *gorm.DB, action, entity string, entityID any, data any) error {
	p, err := access.From(ctx)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	tx = tx.WithContext(ctx)
	if err := database.Lock(tx, database.LockAuditChain); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	var h head
	if err := tx.First(&h, 1).Error; err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	e := Entry{
		Seq:      h.Seq + 1,
		At:       time.Now().UTC().Truncate(time.Microsecond),
		Actor:    p.Actor(),
		Action:   action,
		Entity:   entity,
		EntityID: fmt.Sprint(entityID),
		Data:     string(payload),
		PrevHash: h.Hash,
	}
	e.Hash = e.computeHash()
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	res := tx.Model(&head{}).Where("id = 1 AND seq = ?", h.Seq).Updates(map[string]any{"seq": e.Seq, "hash": e.Hash})
	if res.Error != nil {
		return fmt.Errorf("audit head: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("audit head moved during append")
	}
	return nil
}

// computeHash is SHA-256 over the entry's fields in a fixed, unambiguous form.
func (e Entry) computeHash() string {
	fields := []string{
		strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Format(time.RFC3339Nano),
		e.Actor, e.Action, e.Entity, e.EntityID, e.Data, e.PrevHash,
	}
	h := sha256.New()
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Report is the outcome of Verify.
type Report struct {
	Entries int64  `json:"entries"`
	OK      bool   `json:"ok"`
	BadSeq  int64  `json:"bad_seq,omitempty"` // first entry where the chain breaks
	Problem string `json:"problem,omitempty"`
}

// Log reads and verifies the audit log.
type Log struct{ db *gorm.DB }

// NewLog returns the audit log stored in db.
func NewLog(db *gorm.DB) *Log { return &Log{db: db} }

// Verify walks the whole chain. Only admins may run it.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return Report{}, err
	}
	db := l.db.WithContext(ctx)
	var h head
	if err := db.First(&h, 1).Error; err != nil {
		return Report{}, fmt.Errorf("audit head: %w", err)
	}
	r := Report{OK: true}
	fail := func(seq int64, format string, args ...any) (Report, error) {
		r.OK, r.BadSeq, r.Problem = false, seq, fmt.Sprintf(format, args...)
		return r, nil
	}
	prevSeq, prevHash := int64(0), "genesis"
	const page = 1000
	for {
		var batch []Entry
		if err := db.Where("seq > ?", prevSeq).Order("seq").Limit(page).Find(&batch).Error; err != nil {
			return Report{}, fmt.Errorf("audit read: %w", err)
		}
		for _, e := range batch {
			switch {
			case e.Seq != prevSeq+1:
				return fail(prevSeq+1, "entry %d is missing (deleted)", prevSeq+1)
			case e.PrevHash != prevHash:
				return fail(e.Seq, "entry %d does not link to entry %d (an entry was removed or replaced)", e.Seq, prevSeq)
			case e.computeHash() != e.Hash:
				return fail(e.Seq, "entry %d was altered: its content no longer matches its hash", e.Seq)
			}
			prevSeq, prevHash = e.Seq, e.Hash
			r.Entries++
		}
		if len(batch) < page {
			break
		}
	}
	if h.Seq != prevSeq || h.Hash != prevHash {
		return fail(prevSeq+1, "the log ends at entry %d but its head records entry %d (entries at the end were deleted)", prevSeq, h.Seq)
	}
	return r, nil
}

// Filter narrows List.
type Filter struct {
	Entity    string
	EntityID  string
	Actor     string
	BeforeSeq int64 // page backwards from here; 0 = newest
	Limit     int
}

// List returns entries newest first. Only admins may read the whole log.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	q, err := l.filtered(ctx, f)
	if err != nil {
		return nil, err
	}
	if f.BeforeSeq > 0 {
		q = q.Where("seq < ?", f.BeforeSeq)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Entry
	err = q.Order("seq DESC").Limit(limit).Find(&out).Error
	return out, err
}

// Page is one page of the entries f selects, newest first (f's BeforeSeq and
// Limit are the page request's). The log grows without bound, so a page
// carries no total.
func (l *Log) Page(ctx context.Context, f Filter, r database.PageRequest) (database.Page[Entry], error) {
	q, err := l.filtered(ctx, f)
	if err != nil {
		return database.Page[Entry]{}, err
	}
	k := database.Keyset{Columns: []string{"seq"}, Desc: true, NoTotal: true}
	return database.Paginate(q, r, k, func(e Entry) []int64 { return []int64{e.Seq} })
}

func (l *Log) filtered(ctx context.Context, f Filter) (*gorm.DB, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return nil, err
	}
	q := l.db.WithContext(ctx).Model(&Entry{})
	if f.Entity != "" {
		q = q.Where("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		q = q.Where("entity_id = ?", f.EntityID)
	}
	if f.Actor != "" {
		q = q.Where(`actor LIKE ? ESCAPE '\'`, "%"+database.EscapeLike(f.Actor)+"%")
	}
	return q, nil
}

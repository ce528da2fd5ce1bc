package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
)

// Store keeps schemes and their snapshots.
type Store struct {
	db  *gorm.DB
	now func() time.Time // when a snapshot is fetched
}

// NewStore returns a Store on db.
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, now: func() time.Time { return time.Now().UTC() }}
}

// WithClock makes the store date snapshots by now (a simulation's clock).
func (s *Store) WithClock(now func() time.Time) *Store {
	return &Store{db: s.db, now: func() time.Time { return now().UTC() }}
}

// Schemes lists every label scheme (recall lists are RecallLists).
func (s *Store) Schemes(ctx context.Context) ([]Scheme, error) { return s.ofKind(ctx, KindLabels) }

// RecallLists lists every recall list.
func (s *Store) RecallLists(ctx context.Context) ([]Scheme, error) { return s.ofKind(ctx, KindRecalls) }

func (s *Store) ofKind(ctx context.Context, kind string) ([]Scheme, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	var out []Scheme
	q := s.db.WithContext(ctx).Order("code")
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	err := q.Find(&out).Error
	return out, err
}

// Scheme returns the scheme with code, UNKNOWN_SCHEME if there is none.
func (s *Store) Scheme(ctx context.Context, code string) (Scheme, error) {
	var sc Scheme
	if _, err := access.From(ctx); err != nil {
		return sc, err
	}
	err := s.db.WithContext(ctx).Where("code = ?", strings.ToUpper(strings.TrimSpace(code))).First(&sc).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sc, errs.E(errs.NotFound, "UNKNOWN_SCHEME", "no label scheme has the code %q", code)
	}
	return sc, err
}

// NewSnapshot describes a snapshot to store.
type NewSnapshot struct {
	Scheme   string
	Source   string // file name or URL
	SourceID *int64
	Sample   bool // shipped demo data, not a real registry
	Entries  []Entry
}

// hashEntries fingerprints a snapshot's content, independent of file format and row order.
func hashEntries(entries []Entry) string {
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = e.fingerprint()
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Import stores a new snapshot of a scheme with its diff against the previous
// one. Only admins (and the scheduler, as system) may.
func (s *Store) Import(ctx context.Context, n NewSnapshot) (Snapshot, error) {
	p, err := access.Require(ctx, access.Admin)
	if err != nil {
		return Snapshot{}, err
	}
	sc, err := s.Scheme(ctx, n.Scheme)
	if err != nil {
		return Snapshot{}, err
	}
	now := s.now().Truncate(time.Microsecond)
	snap := Snapshot{
		SchemeID: sc.ID, Scheme: sc.Code, SourceID: n.SourceID, Source: outbound.URL(outbound.Redact(n.Source)), Sample: n.Sample,
		SHA256: hashEntries(n.Entries), FetchedAt: now, EntryCount: len(n.Entries), CreatedBy: p.Actor(), CreatedAt: now,
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var prev Snapshot
		var prevEntries []Entry
		prevDay := civil.Of(now)
		err := tx.Where("scheme_id = ?", sc.ID).Order("id DESC").First(&prev).Error
		switch {
		case err == nil:
			id := prev.ID
			snap.PreviousID = &id
			prevDay = civil.Of(prev.FetchedAt)
			if err := tx.Where("snapshot_id = ?", prev.ID).Find(&prevEntries).Error; err != nil {
				return err
			}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		d := diff(prevEntries, n.Entries, prevDay, civil.Of(now))
		snap.Diff = d
		snap.Added, snap.Changed, snap.Revoked, snap.Expired = len(d.Added), len(d.Changed), len(d.Revoked), len(d.Expired)
		if err := tx.Create(&snap).Error; err != nil {
			return err
		}
		if err := s.insertEntries(ctx, tx, snap.ID, n.Entries); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "registry.snapshot", "registry_snapshot", snap.ID, map[string]any{
			"scheme": sc.Code, "source": outbound.Redact(n.Source), "sha256": snap.SHA256, "entries": snap.EntryCount,
			"added": snap.Added, "changed": snap.Changed, "revoked": snap.Revoked, "expired": snap.Expired, "sample": n.Sample,
		})
	})
	return snap, err
}

var entryColumns = []string{"snapshot_id", "label_id", "label_key", "brand", "model", "models", "product_type", "level", "issued", "expires", "status", "url",
	"gtins", "markets", "hazard", "title"}

func (s *Store) insertEntries(ctx context.Context, tx *gorm.DB, snapshotID int64, entries []Entry) error {
	rows := make([][]any, len(entries))
	for i, e := range entries {
		issued, _ := e.Issued.Value()
		expires, _ := e.Expires.Value()
		rows[i] = []any{snapshotID, e.LabelID, e.LabelKey, e.Brand, e.Model, e.Models, e.ProductType, e.Level, issued, expires, e.Status, e.URL,
			e.GTINs, e.Markets, e.Hazard, e.Title}
	}
	if err := database.InsertRows(ctx, tx, "registry_entries", entryColumns, rows); err != nil {
		return err
	}
	// One row per model id an entry covers, for brand+model look-ups.
	var saved []Entry
	if err := tx.Where("snapshot_id = ?", snapshotID).Find(&saved).Error; err != nil {
		return err
	}
	var models [][]any
	for _, e := range saved {
		for _, k := range e.MatchKeys() {
			models = append(models, []any{e.ID, k})
		}
	}
	return database.InsertRows(ctx, tx, "registry_entry_models", []string{"entry_id", "match_key"}, models)
}

// Snapshots lists a scheme's snapshots, newest first.
func (s *Store) Snapshots(ctx context.Context, scheme string) ([]Snapshot, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	sc, err := s.Scheme(ctx, scheme)
	if err != nil {
		return nil, err
	}
	var out []Snapshot
	if err := s.db.WithContext(ctx).Where("scheme_id = ?", sc.ID).Order("id DESC").Limit(200).Find(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Scheme = sc.Code
	}
	return out, nil
}

// Snapshot returns one snapshot.
func (s *Store) Snapshot(ctx context.Context, id int64) (Snapshot, error) {
	if _, err := access.From(ctx); err != nil {
		return Snapshot{}, err
	}
	var snap Snapshot
	if err := s.db.WithContext(ctx).First(&snap, id).Error; err != nil {
		return snap, database.Translate(err, "registry snapshot")
	}
	var code string
	s.db.WithContext(ctx).Table("schemes").Where("id = ?", snap.SchemeID).Pluck("code", &code)
	snap.Scheme = code
	return snap, nil
}

// Entries returns a snapshot's entries.
func (s *Store) Entries(ctx context.Context, snapshotID int64) ([]Entry, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	var out []Entry
	err := s.db.WithContext(ctx).Where("snapshot_id = ?", snapshotID).Order("label_key").Find(&out).Error
	return out, err
}

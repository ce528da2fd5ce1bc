package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Version is a stored policy version.
type Version struct {
	ID          int64      `json:"id"`
	Version     string     `json:"version"`
	Name        string     `json:"name"`
	Document    string     `json:"-"`
	SHA256      string     `json:"sha256" gorm:"column:sha256"`
	Active      bool       `json:"active"`
	UploadedBy  string     `json:"uploaded_by"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
	ActivatedBy string     `json:"activated_by,omitempty"`
}

// TableName is the policies table.
func (Version) TableName() string { return "policies" }

// Store keeps policy versions; exactly one is active.
type Store struct {
	db   *gorm.DB
	once sync.Mutex
}

// NewStore returns a Store on db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// Upload stores a new policy version after validating it. It is not active
// until activated, so its impact can be previewed first.
func (s *Store) Upload(ctx context.Context, raw []byte) (Version, error) {
	p, err := access.Require(ctx, access.Admin)
	if err != nil {
		return Version{}, err
	}
	doc, err := Parse(raw)
	if err != nil {
		return Version{}, err
	}
	sum := sha256.Sum256(raw)
	v := Version{Version: doc.Version, Name: doc.Name, Document: string(raw), SHA256: hex.EncodeToString(sum[:]), UploadedBy: p.Actor(), CreatedAt: time.Now().UTC()}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&v).Error; err != nil {
			return database.Translate(err, "policy version "+doc.Version)
		}
		return audit.Record(ctx, tx, "policy.upload", "policy", v.ID, map[string]any{"version": v.Version, "sha256": v.SHA256})
	})
	return v, err
}

// Activate makes a stored version the one verdicts are computed with.
func (s *Store) Activate(ctx context.Context, version string) (Version, error) {
	p, err := access.Require(ctx, access.Admin)
	if err != nil {
		return Version{}, err
	}
	var v Version
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("version = ?", version).First(&v).Error; err != nil {
			return database.Translate(err, "policy version "+version)
		}
		if err := tx.Model(&Version{}).Where("active = ?", true).Update("active", false).Error; err != nil {
			return err
		}
		now := time.Now().UTC()
		v.Active, v.ActivatedAt, v.ActivatedBy = true, &now, p.Actor()
		if err := tx.Model(&v).Updates(map[string]any{"active": true, "activated_at": now, "activated_by": p.Actor()}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "policy.activate", "policy", v.ID, map[string]any{"version": v.Version})
	})
	return v, err
}

// Versions lists every stored version, newest first.
func (s *Store) Versions(ctx context.Context) ([]Version, error) {
	if _, err := access.From(ctx); err != nil {
		return nil, err
	}
	var out []Version
	err := s.db.WithContext(ctx).Order("id DESC").Find(&out).Error
	return out, err
}

// Get returns one version with its parsed document. Any signed-in user may
// read policies (they explain every verdict).
func (s *Store) Get(ctx context.Context, version string) (Version, *Document, error) {
	var v Version
	if _, err := access.From(ctx); err != nil {
		return v, nil, err
	}
	if err := s.db.WithContext(ctx).Where("version = ?", version).First(&v).Error; err != nil {
		return v, nil, database.Translate(err, "policy version "+version)
	}
	doc, err := Parse([]byte(v.Document))
	return v, doc, err
}

// Active returns the active version. On a database that has none yet, the
// shipped default policy is stored and activated first.
func (s *Store) Active(ctx context.Context) (Version, *Document, error) {
	var v Version
	if _, err := access.From(ctx); err != nil {
		return v, nil, err
	}
	err := s.db.WithContext(ctx).Where("active = ?", true).First(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if v, err = s.installDefault(ctx); err != nil {
			return v, nil, err
		}
	} else if err != nil {
		return v, nil, err
	}
	doc, err := Parse([]byte(v.Document))
	if err != nil {
		return v, nil, errs.E(errs.Internal, "ACTIVE_POLICY_INVALID", "the active policy %s no longer parses", v.Version).Wrap(err)
	}
	return v, doc, nil
}

func (s *Store) installDefault(ctx context.Context) (Version, error) {
	s.once.Lock()
	defer s.once.Unlock()
	sys := access.With(ctx, access.System("default-policy"))
	doc, err := Parse(Default())
	if err != nil {
		return Version{}, err
	}
	var existing Version
	err = s.db.WithContext(ctx).Where("active = ?", true).First(&existing).Error
	if err == nil {
		return existing, nil
	}
	if _, err := s.Upload(sys, Default()); err != nil && errs.CodeOf(err) != "ALREADY_EXISTS" {
		return Version{}, err
	}
	return s.Activate(sys, doc.Version)
}

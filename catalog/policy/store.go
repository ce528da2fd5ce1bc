package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

// Store keeps policy versions; exactly one is active (InstallDefault
// activates the shipped one at start-up).
type Store struct {
	db *gorm.DB
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

// ErrNoActivePolicy means no policy is active: the database was not set up
// by start-up (InstallDefault). Nothing is evaluated without a policy.
var ErrNoActivePolicy = errs.E(errs.Internal, "NO_ACTIVE_POLICY", "no policy is active: start-up installs the default one (cascade serve, or any command that opens the database)")

// Active returns the active version. It only reads: a database without one
// gives ErrNoActivePolicy (fail closed), never a policy made up on the spot.
func (s *Store) Active(ctx context.Context) (Version, *Document, error) {
	var v Version
	if _, err := access.From(ctx); err != nil {
		return v, nil, err
	}
	err := s.db.WithContext(ctx).Where("active = ?", true).First(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return v, nil, ErrNoActivePolicy
	} else if err != nil {
		return v, nil, err
	}
	doc, err := Parse([]byte(v.Document))
	if err != nil {
		return v, nil, errs.E(errs.Internal, "ACTIVE_POLICY_INVALID", "the active policy %s no longer parses", v.Version).Wrap(err)
	}
	return v, doc, nil
}

// InstallDefault stores and activates the shipped default policy on a
// database that has no active policy, as the system, with both steps in
// the audit log; it is what start-up does, like the first admin. It is
// idempotent: a database with an active policy is left as it is, and of
// replicas starting together on a new database one installs it, under
// LockPolicies, while the others find it installed.
func InstallDefault(ctx context.Context, db *gorm.DB) error {
	sys := access.With(ctx, access.System("default-policy"))
	doc, err := Parse(Default())
	if err != nil {
		return err
	}
	return db.WithContext(sys).Transaction(func(tx *gorm.DB) error {
		if err := database.Lock(tx, database.LockPolicies); err != nil {
			return err
		}
		var active int64
		if err := tx.Model(&Version{}).Where("active = ?", true).Count(&active).Error; err != nil || active > 0 {
			return err
		}
		// An admin may have uploaded a version of the same name, never activated.
		store := NewStore(tx)
		var known int64
		if err := tx.Model(&Version{}).Where("version = ?", doc.Version).Count(&known).Error; err != nil {
			return err
		}
		if known == 0 {
			if _, err := store.Upload(sys, Default()); err != nil {
				return err
			}
		}
		_, err := store.Activate(sys, doc.Version)
		return err
	})
}

// VersionsPage is one page of the policy versions, newest first.
func (s *Store) VersionsPage(ctx context.Context, r database.PageRequest) (database.Page[Version], error) {
	if _, err := access.From(ctx); err != nil {
		return database.Page[Version]{}, err
	}
	return database.Paginate(s.db.WithContext(ctx).Model(&Version{}), r, database.NewestFirst, func(v Version) []int64 { return []int64{v.ID} })
}

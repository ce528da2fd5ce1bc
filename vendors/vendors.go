// Package vendors keeps the suppliers whose products Cascade judges. A
// supplier is registered explicitly: an unknown supplier name is an error
// everywhere, never created on the fly.
package vendors

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Supplier is a company that sends Cascade product spreadsheets.
type Supplier struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	NameKey   string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MaxNameLength bounds a supplier's name.
const MaxNameLength = 200

// Store reads and writes suppliers.
type Store struct{ db *gorm.DB }

// NewStore returns a Store on db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

func nameKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// Create registers a supplier. Only admins may.
func (s *Store) Create(ctx context.Context, name string) (Supplier, error) {
	if _, err := access.Require(ctx, access.Admin); err != nil {
		return Supplier{}, err
	}
	name = strings.Join(strings.Fields(name), " ")
	switch {
	case name == "":
		return Supplier{}, errs.Invalidf("MISSING_NAME", "a supplier needs a name")
	case strings.IndexByte(name, 0) >= 0:
		return Supplier{}, errs.Invalidf("INVALID_CHARACTER", "the supplier name holds a NUL character, which is not text: remove it")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return Supplier{}, errs.Invalidf("VALUE_TOO_LONG", "a supplier name is at most %d characters", MaxNameLength)
	}
	sup := Supplier{Name: name, NameKey: nameKey(name)}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&sup).Error; err != nil {
			return database.Translate(err, "supplier "+name)
		}
		return audit.Record(ctx, tx, "supplier.create", "supplier", sup.ID, map[string]any{"name": sup.Name})
	})
	return sup, err
}

// List returns the suppliers the caller may see: a supplier user sees only its own.
func (s *Store) List(ctx context.Context) ([]Supplier, error) {
	var out []Supplier
	err := s.db.WithContext(ctx).Scopes(database.SupplierScope(ctx, "id")).Order("name_key").Find(&out).Error
	return out, err
}

// Get returns one supplier, or NOT_FOUND when it does not exist or is not the caller's.
func (s *Store) Get(ctx context.Context, id int64) (Supplier, error) {
	var sup Supplier
	err := s.db.WithContext(ctx).Scopes(database.SupplierScope(ctx, "id")).First(&sup, id).Error
	return sup, database.Translate(err, "supplier")
}

// ByName finds a registered supplier by name, ignoring case and spacing.
func (s *Store) ByName(ctx context.Context, name string) (Supplier, error) {
	var sup Supplier
	err := s.db.WithContext(ctx).Scopes(database.SupplierScope(ctx, "id")).
		Where("name_key = ?", nameKey(name)).First(&sup).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return sup, errs.E(errs.NotFound, "UNKNOWN_SUPPLIER",
			"no supplier is registered as %q: register it first with `cascade supplier add`", name)
	}
	return sup, err
}

// Page is one page of the suppliers the caller may see, in id order.
func (s *Store) Page(ctx context.Context, r database.PageRequest) (database.Page[Supplier], error) {
	q := s.db.WithContext(ctx).Model(&Supplier{}).Scopes(database.SupplierScope(ctx, "id"))
	return database.Paginate(q, r, database.ByID, func(x Supplier) []int64 { return []int64{x.ID} })
}

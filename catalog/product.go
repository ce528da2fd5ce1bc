// Package catalog holds the products suppliers offer and what Cascade
// decides about them.
package catalog

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

// Product is one supplier SKU as last accepted from its spreadsheet.
type Product struct {
	ID                    int64        `json:"id"`
	SupplierID            int64        `json:"supplier_id"`
	SKU                   string       `json:"sku" gorm:"column:sku"`
	GTIN                  string       `json:"gtin" gorm:"column:gtin"`
	Brand                 string       `json:"brand"`
	Model                 string       `json:"model"`
	MatchKey              string       `json:"-"`
	Name                  string       `json:"name"`
	Category              string       `json:"category"`
	Markets               Markets      `json:"markets"`
	PasswordModel         string       `json:"password_model"`
	VulnReportContact     string       `json:"vuln_report_contact"`
	SupportEnd            civil.Date   `json:"support_end"`
	SupportEndDeclared    civil.Date   `json:"-"`
	StatementOfCompliance string       `json:"statement_of_compliance"`
	CEMarking             string       `json:"ce_marking" gorm:"column:ce_marking"`
	HardwareVersion       string       `json:"hardware_version"`
	FirmwareVersion       string       `json:"firmware_version"`
	Price                 string       `json:"price"`
	Currency              string       `json:"currency"`
	Extra                 string       `json:"-"`
	ContentHash           string       `json:"-"`
	BatchID               *int64       `json:"batch_id,omitempty"`
	Disputed              bool         `json:"disputed"` // another supplier offers the GTIN with other data: blocked until resolved (SPEC §4)
	Labels                []LabelClaim `json:"labels" gorm:"foreignKey:ProductID"`
	CreatedAt             time.Time    `json:"created_at"`
	UpdatedAt             time.Time    `json:"updated_at"`
}

// Markets are the market codes a product is offered in, stored space-separated.
type Markets []string

// Value stores the codes space-separated.
func (m Markets) Value() (driver.Value, error) { return strings.Join(m, " "), nil }

// Scan reads space-separated codes.
func (m *Markets) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*m = strings.Fields(v)
	case []byte:
		*m = strings.Fields(string(v))
	case nil:
		*m = nil
	default:
		return fmt.Errorf("catalog.Markets: cannot scan %T", src)
	}
	return nil
}

// LabelClaim is a security label the supplier says the product carries.
type LabelClaim struct {
	ID        int64  `json:"-"`
	ProductID int64  `json:"-"`
	Scheme    string `json:"scheme"`
	LabelID   string `json:"label_id"`
	LabelKey  string `json:"-"`
}

// ProductFilter narrows a product listing.
type ProductFilter struct {
	SupplierID int64
	Category   string
	GTIN       string
	SKU        string
	Query      string // matched against sku, brand, model and name
	AfterID    int64  // keyset pagination
	Limit      int
}

// Store reads products, always within the caller's supplier scope.
type Store struct{ db *gorm.DB }

// NewStore returns a Store on db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// listOmits is what a list of products leaves out: extra holds whatever
// unknown columns a supplier sent (up to imports.MaxExtraBytes a product),
// which no list shows, and which a page of 100 products must not drag in.
var listOmits = []string{"extra"}

// Products lists products the caller may see, in id order, without extra.
func (s *Store) Products(ctx context.Context, f ProductFilter) ([]Product, error) {
	q := s.filtered(ctx, f).Omit(listOmits...).Preload("Labels").Order("id")
	if f.AfterID > 0 {
		q = q.Where("id > ?", f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []Product
	err := q.Limit(limit).Find(&out).Error
	return out, err
}

// ProductsPage is one page of the products f selects, in id order, without
// extra, with their total (f's AfterID and Limit are the page request's).
func (s *Store) ProductsPage(ctx context.Context, f ProductFilter, r database.PageRequest) (database.Page[Product], error) {
	return database.Paginate(s.filtered(ctx, f), r, database.ByID, func(p Product) []int64 { return []int64{p.ID} },
		func(q *gorm.DB) *gorm.DB { return q.Omit(listOmits...).Preload("Labels") })
}

func (s *Store) filtered(ctx context.Context, f ProductFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&Product{}).Scopes(database.SupplierScope(ctx, "supplier_id"))
	if f.SupplierID != 0 {
		q = q.Where("supplier_id = ?", f.SupplierID)
	}
	if f.Category != "" {
		q = q.Where("category = ?", f.Category)
	}
	if f.GTIN != "" {
		q = q.Where("gtin = ?", f.GTIN)
	}
	if f.SKU != "" {
		q = q.Where("sku = ?", f.SKU)
	}
	if f.Query != "" {
		like, err := database.ContainsPattern(f.Query)
		if err != nil {
			q.AddError(err)
		}
		q = q.Where(`(LOWER(sku) LIKE ? ESCAPE '\' OR LOWER(brand) LIKE ? ESCAPE '\' OR LOWER(model) LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\')`, like, like, like, like)
	}
	return q
}

// Product returns one product, or NOT_FOUND when it does not exist or belongs
// to another supplier than the calling supplier user.
func (s *Store) Product(ctx context.Context, id int64) (Product, error) {
	var p Product
	err := s.db.WithContext(ctx).Scopes(database.SupplierScope(ctx, "supplier_id")).Preload("Labels").First(&p, id).Error
	return p, database.Translate(err, "product")
}

// ProductsByID returns the products with these ids that the caller may see,
// by id, without extra.
func (s *Store) ProductsByID(ctx context.Context, ids []int64) (map[int64]Product, error) {
	out := make(map[int64]Product, len(ids))
	for start := 0; start < len(ids); start += 1000 {
		var page []Product
		err := s.db.WithContext(ctx).Scopes(database.SupplierScope(ctx, "supplier_id")).Omit(listOmits...).Preload("Labels").
			Where("id IN ?", ids[start:min(start+1000, len(ids))]).Find(&page).Error
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			out[p.ID] = p
		}
	}
	return out, nil
}

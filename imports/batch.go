// Package imports reads supplier spreadsheets (XLSX and CSV) into the
// catalogue: every row is either stored or reported with a reason, a batch
// commits completely or not at all, and imports of one supplier never interleave.
package imports

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
)

// Batch statuses.
const (
	StatusRunning   = "running"
	StatusCommitted = "committed"
	StatusFailed    = "failed"
)

// Batch is one upload of one file by one supplier.
type Batch struct {
	ID            int64      `json:"id"`
	SupplierID    int64      `json:"supplier_id"`
	FileName      string     `json:"file_name"`
	SHA256        string     `json:"sha256" gorm:"column:sha256"`
	Format        string     `json:"format"`
	Status        string     `json:"status"`
	RowsTotal     int        `json:"rows_estimated"` // while running: the file's expected row count, if known
	RowsProcessed int        `json:"rows_processed"`
	RowsCreated   int        `json:"rows_created"`
	RowsUpdated   int        `json:"rows_updated"`
	RowsUnchanged int        `json:"rows_unchanged"`
	RowsRejected  int        `json:"rows_rejected"`
	Warnings      Warnings   `json:"warnings"`
	Error         string     `json:"error,omitempty"`
	CreatedBy     *int64     `json:"created_by,omitempty"`
	Owner         string     `json:"-"`
	HeartbeatAt   *time.Time `json:"-"`
	Headers       Headers    `json:"headers"`
	Mapped        Mapping    `json:"mapped"` // the headers the supplier's saved mapping read, and the column each meant
	HeaderRow     int        `json:"header_row"`
	StartedAt     time.Time  `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
}

// TableName is the batch table.
func (Batch) TableName() string { return "import_batches" }

// Accepted is the number of rows stored or confirmed unchanged.
func (b Batch) Accepted() int { return b.RowsCreated + b.RowsUpdated + b.RowsUnchanged }

// Warning is a note about a file that rejects nothing.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Row     int    `json:"row,omitempty"` // for a warning about one row
	SKU     string `json:"sku,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

// Warnings are stored as a JSON array.
type Warnings []Warning

func (w Warnings) Value() (driver.Value, error) { return jsonValue(w) }
func (w *Warnings) Scan(src any) error          { return jsonScan(src, w) }

// MarshalJSON answers [] for no warnings, as a batch read back does, never null.
func (w Warnings) MarshalJSON() ([]byte, error) {
	if w == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Warning(w))
}

// Headers are the header row as written, stored as a JSON array.
type Headers []string

func (h Headers) Value() (driver.Value, error) { return jsonValue(h) }
func (h *Headers) Scan(src any) error          { return jsonScan(src, h) }

// MarshalJSON answers [] for no headers, never null.
func (h Headers) MarshalJSON() ([]byte, error) {
	if h == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(h))
}

func jsonValue(v any) (driver.Value, error) {
	b, err := json.Marshal(v)
	if string(b) == "null" {
		return "[]", err
	}
	return string(b), err
}

func jsonScan(src, dst any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), dst)
	case []byte:
		return json.Unmarshal(v, dst)
	case nil:
		return nil
	}
	return fmt.Errorf("cannot scan %T as JSON", src)
}

// storedError is a row error as kept in import_row_errors.
type storedError struct {
	ID        int64
	BatchID   int64
	RowNumber int
	SKU       string `gorm:"column:sku"`
	Column    string `gorm:"column:column_name"`
	Value     string
	Code      string
	Message   string
	Hint      string
	RowData   string
}

func (storedError) TableName() string { return "import_row_errors" }

// Store reads batches and their row errors within the caller's supplier scope.
type Store struct{ db *gorm.DB }

// NewStore returns a Store on db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// readers are the roles that see imports: suppliers (their own), and the
// people who run the catalogue.
var readers = []access.Role{access.Admin, access.CategoryManager, access.Supplier}

// Batch returns one batch, NOT_FOUND when it is another supplier's.
func (s *Store) Batch(ctx context.Context, id int64) (Batch, error) {
	if _, err := access.Require(ctx, readers...); err != nil {
		return Batch{}, err
	}
	var b Batch
	err := s.db.WithContext(ctx).Scopes(database.SupplierScope(ctx, "supplier_id")).First(&b, id).Error
	return b, database.Translate(err, "import")
}

// Batches lists the batches the caller may see, newest first, one page at a
// time, optionally of one supplier.
func (s *Store) Batches(ctx context.Context, supplierID int64, r database.PageRequest) (database.Page[Batch], error) {
	if _, err := access.Require(ctx, readers...); err != nil {
		return database.Page[Batch]{}, err
	}
	q := s.db.WithContext(ctx).Model(&Batch{}).Scopes(database.SupplierScope(ctx, "supplier_id"))
	if supplierID > 0 {
		q = q.Where("supplier_id = ?", supplierID)
	}
	return database.Paginate(q, r, database.NewestFirst, func(b Batch) []int64 { return []int64{b.ID} })
}

// ErrorsPage returns one page of a batch's row errors in row order.
func (s *Store) ErrorsPage(ctx context.Context, batchID int64, r database.PageRequest) (database.Page[RowError], error) {
	if _, err := s.Batch(ctx, batchID); err != nil {
		return database.Page[RowError]{}, err
	}
	q := s.db.WithContext(ctx).Model(&storedError{}).Where("batch_id = ?", batchID)
	p, err := database.Paginate(q, r, database.Keyset{Columns: []string{"row_number", "id"}}, func(e storedError) []int64 { return []int64{int64(e.RowNumber), e.ID} })
	return database.Map(p, storedError.rowError), err
}

func (s *Store) Errors(ctx context.Context, batchID int64) ([]RowError, error) {
	if _, err := s.Batch(ctx, batchID); err != nil {
		return nil, err
	}
	var rows []storedError
	if err := s.db.WithContext(ctx).Where("batch_id = ?", batchID).Order("row_number, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]RowError, len(rows))
	for i, r := range rows {
		out[i] = r.rowError()
	}
	return out, nil
}

func (r storedError) rowError() RowError {
	return RowError{Row: r.RowNumber, SKU: r.SKU, Column: r.Column, Value: r.Value, Code: r.Code, Message: r.Message, Hint: r.Hint}
}

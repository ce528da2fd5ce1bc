package imports

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Mapping is a supplier's saved column mapping: each of their own headers,
// as they write it, and the column of SPEC §2 it means. Every upload of
// theirs reads its header row with it first, then with the default names
// and aliases (aliases.json).
type Mapping map[string]string

// Value stores a mapping as a JSON object ({} when empty).
func (m Mapping) Value() (driver.Value, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(m))
	return string(b), err
}

// Scan reads a mapping stored as a JSON object.
func (m *Mapping) Scan(src any) error { return jsonScan(src, m) }

// maxMappingHeader bounds a mapped header, as a header cell is bounded.
const maxMappingHeader = 256

// checkMapping refuses, with a clear code, a mapping to a column that is
// not one of SPEC §2's (UNKNOWN_COLUMN), two headers that mean one column,
// or one header twice as headers are matched (DUPLICATE_MAPPING), and an
// empty or overlong header (INVALID_MAPPING). It returns the mapping with
// headers trimmed and columns as Columns names them, keyed by folded header.
func checkMapping(m Mapping) (map[string]mappingEntry, error) {
	out := make(map[string]mappingEntry, len(m))
	byColumn := map[string]string{}
	headers := make([]string, 0, len(m))
	for h := range m {
		headers = append(headers, h)
	}
	sort.Strings(headers) // the same error for the same mapping
	for _, h := range headers {
		header, col := strings.TrimSpace(h), strings.ToLower(strings.TrimSpace(m[h]))
		key := headerKey(header)
		switch {
		case key == "":
			return nil, errs.Invalidf("INVALID_MAPPING", "a header of the mapping is empty: name the header as your files write it")
		case len([]rune(header)) > maxMappingHeader:
			return nil, errs.Invalidf("INVALID_MAPPING", "the header %.40q… is longer than %d characters", header, maxMappingHeader)
		case strings.ContainsFunc(header, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return nil, errs.Invalidf("INVALID_MAPPING", "the header %q holds a control character (a NUL, a line break, …): write it as the header cell shows it", header)
		case isFixColumn(header):
			return nil, errs.Invalidf("INVALID_MAPPING", "%q is a column of the fix workbook, which every upload ignores: it cannot be mapped", header)
		}
		ci := -1
		for i, c := range Columns {
			if c.Name == col {
				ci = i
			}
		}
		if ci < 0 {
			return nil, errs.Invalidf("UNKNOWN_COLUMN", "%q is mapped to %q, which is not a Cascade column: use one of %s", header, m[h], strings.Join(columnNames(), ", ")).
				WithDetails(map[string]any{"header": header, "column": m[h], "columns": columnNames()})
		}
		if prev, ok := out[key]; ok {
			return nil, errs.Invalidf("DUPLICATE_MAPPING", "%q and %q are the same header as uploads match them (case, spaces, _ - . ignored): keep one", prev.Header, header)
		}
		if prev, ok := byColumn[col]; ok {
			return nil, errs.Invalidf("DUPLICATE_MAPPING", "%q and %q both map to %s: a column can come from one header only", prev, header, col).
				WithDetails(map[string]any{"headers": []string{prev, header}, "column": col})
		}
		byColumn[col] = header
		out[key] = mappingEntry{Header: header, Column: ci}
	}
	return out, nil
}

type mappingEntry struct {
	Header string
	Column int // index in Columns
}

// storedMapping is one row of supplier_column_mappings.
type storedMapping struct {
	SupplierID int64
	Header     string
	HeaderKey  string
	ColumnName string
	UpdatedAt  time.Time
}

func (storedMapping) TableName() string { return "supplier_column_mappings" }

// mappers are the roles that read and set a supplier's mapping: the
// supplier (its own), and the people who run the catalogue for them.
var mappers = []access.Role{access.Admin, access.CategoryManager, access.Supplier}

// mayMap checks that the caller may read or set supplierID's mapping: a
// supplier user only its own (another's is NOT_FOUND, as its other records).
func (s *Store) mayMap(ctx context.Context, supplierID int64) error {
	p, err := access.Require(ctx, mappers...)
	if err != nil {
		return err
	}
	var known int64
	if err := s.db.WithContext(ctx).Table("suppliers").Where("id = ?", supplierID).Count(&known).Error; err != nil {
		return err
	}
	if known == 0 || (p.Role == access.Supplier && p.SupplierID != supplierID) {
		return errs.E(errs.NotFound, "UNKNOWN_SUPPLIER", "supplier %d is not registered", supplierID)
	}
	return nil
}

// Mapping returns a supplier's saved column mapping ({} when none).
func (s *Store) Mapping(ctx context.Context, supplierID int64) (Mapping, error) {
	if err := s.mayMap(ctx, supplierID); err != nil {
		return nil, err
	}
	return savedMapping(ctx, s.db, supplierID)
}

func savedMapping(ctx context.Context, db *gorm.DB, supplierID int64) (Mapping, error) {
	var rows []storedMapping
	if err := db.WithContext(ctx).Where("supplier_id = ?", supplierID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(Mapping, len(rows))
	for _, r := range rows {
		out[r.Header] = r.ColumnName
	}
	return out, nil
}

// SetMapping replaces a supplier's saved column mapping (an empty one
// removes it), after checkMapping, and records who changed it in the audit
// log. Uploads started afterwards use it.
func (s *Store) SetMapping(ctx context.Context, supplierID int64, m Mapping) (Mapping, error) {
	if err := s.mayMap(ctx, supplierID); err != nil {
		return nil, err
	}
	entries, err := checkMapping(m)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	out := make(Mapping, len(entries))
	rows := make([]storedMapping, 0, len(entries))
	for key, e := range entries {
		rows = append(rows, storedMapping{SupplierID: supplierID, Header: e.Header, HeaderKey: key, ColumnName: Columns[e.Column].Name, UpdatedAt: now})
		out[e.Header] = Columns[e.Column].Name
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("supplier_id = ?", supplierID).Delete(&storedMapping{}).Error; err != nil {
			return err
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return fmt.Errorf("store the mapping: %w", err)
			}
		}
		return audit.Record(ctx, tx, "supplier.mapping", "supplier", supplierID, map[string]any{"mapping": out})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// uploadMapping is the saved mapping an upload of the supplier reads its
// header row with, by folded header. Read once, when the import starts.
func uploadMapping(ctx context.Context, db *gorm.DB, supplierID int64) (map[string]int, error) {
	saved, err := savedMapping(ctx, db, supplierID)
	if err != nil {
		return nil, err
	}
	entries, err := checkMapping(saved)
	if err != nil { // stored only after the same check: a bug, not the supplier's
		return nil, fmt.Errorf("saved mapping of supplier %d: %w", supplierID, err)
	}
	out := make(map[string]int, len(entries))
	for key, e := range entries {
		out[key] = e.Column
	}
	return out, nil
}

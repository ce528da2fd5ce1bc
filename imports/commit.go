package imports

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/audit"
	"github.com/cascade-gate/cascade/app/database"
)

// commit turns the staged rows into products in one transaction: rows that
// clash with each other or with the supplier's other SKUs are rejected,
// the rest are upserted by (supplier, sku), unchanged rows are left alone.
func (r *run) commit(ctx context.Context) error {
	return r.im.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := r.rejectClashes(ctx, tx); err != nil {
			return err
		}
		if err := r.count(tx); err != nil {
			return err
		}
		if err := r.upsert(tx); err != nil {
			return err
		}
		if err := r.replaceLabels(tx); err != nil {
			return err
		}
		if err := dropStaging(tx, r.batch.ID); err != nil {
			return err
		}
		if r.im.OnCommit != nil {
			if err := r.im.OnCommit(ctx, tx, r.batch.ID); err != nil {
				return fmt.Errorf("verdicts: %w", err)
			}
		}
		now := time.Now().UTC()
		r.batch.Status, r.batch.FinishedAt = StatusCommitted, &now
		err := tx.Table("import_batches").Where("id = ?", r.batch.ID).Updates(map[string]any{
			"status": StatusCommitted, "finished_at": now, "format": r.batch.Format,
			"rows_processed": r.batch.RowsProcessed, "rows_total": r.batch.RowsTotal,
			"rows_created": r.batch.RowsCreated, "rows_updated": r.batch.RowsUpdated,
			"rows_unchanged": r.batch.RowsUnchanged, "rows_rejected": r.batch.RowsRejected,
			"headers": r.batch.Headers, "header_row": r.batch.HeaderRow, "warnings": r.batch.Warnings,
		}).Error
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, "import.commit", "import_batch", r.batch.ID, map[string]any{
			"supplier_id": r.batch.SupplierID, "file_name": r.batch.FileName, "sha256": r.batch.SHA256,
			"created": r.batch.RowsCreated, "updated": r.batch.RowsUpdated,
			"unchanged": r.batch.RowsUnchanged, "rejected": r.batch.RowsRejected,
		})
	})
}

type clash struct {
	RowNumber int
	SKU       string
	GTIN      string
	RowData   string
	Other     string // the other SKU holding the GTIN
}

// rejectClashes finds SKUs repeated in the file and GTINs claimed by two
// SKUs, reports every row involved, and takes them out of the staging table.
func (r *run) rejectClashes(ctx context.Context, tx *gorm.DB) error {
	id := r.batch.ID
	var dups []clash
	err := tx.Raw(`SELECT row_number, sku, gtin, row_data FROM import_staging
		WHERE batch_id = ? AND sku IN (SELECT sku FROM import_staging WHERE batch_id = ? GROUP BY sku HAVING COUNT(*) > 1)
		ORDER BY sku, row_number`, id, id).Scan(&dups).Error
	if err != nil {
		return err
	}
	rowsOf := map[string][]string{}
	for _, d := range dups {
		rowsOf[d.SKU] = append(rowsOf[d.SKU], strconv.Itoa(d.RowNumber))
	}
	var errRows [][]any
	var drop []int
	for _, d := range dups {
		e := rowErr(CodeDuplicateSKU, "SKU %q appears on rows %s of this file", d.SKU, strings.Join(rowsOf[d.SKU], ", "))
		errRows = append(errRows, r.errorRow(d, colSKU, d.SKU, e))
		drop = append(drop, d.RowNumber)
	}
	if err := r.dropStaged(ctx, tx, drop, errRows); err != nil {
		return err
	}

	var inFile []clash
	err = tx.Raw(`SELECT row_number, sku, gtin, row_data FROM import_staging
		WHERE batch_id = ? AND gtin IN (SELECT gtin FROM import_staging WHERE batch_id = ? GROUP BY gtin HAVING COUNT(*) > 1)
		ORDER BY gtin, row_number`, id, id).Scan(&inFile).Error
	if err != nil {
		return err
	}
	skusOf := map[string][]string{}
	for _, c := range inFile {
		skusOf[c.GTIN] = append(skusOf[c.GTIN], fmt.Sprintf("%s (row %d)", c.SKU, c.RowNumber))
	}
	errRows, drop = nil, nil
	for _, c := range inFile {
		e := rowErr(CodeGTINConflict, "GTIN %s is given to several SKUs in this file: %s", c.GTIN, strings.Join(skusOf[c.GTIN], ", "))
		errRows = append(errRows, r.errorRow(c, colGTIN, c.GTIN, e))
		drop = append(drop, c.RowNumber)
	}
	if err := r.dropStaged(ctx, tx, drop, errRows); err != nil {
		return err
	}

	// A GTIN already held by another stored SKU of this supplier, unless this
	// same file moves that SKU to another GTIN.
	var stored []clash
	err = tx.Raw(`SELECT s.row_number, s.sku, s.gtin, s.row_data, MIN(p.sku) AS other FROM import_staging s
		JOIN products p ON p.supplier_id = ? AND p.gtin = s.gtin AND p.sku <> s.sku
		WHERE s.batch_id = ? AND NOT EXISTS (
			SELECT 1 FROM import_staging s2 WHERE s2.batch_id = s.batch_id AND s2.sku = p.sku AND s2.gtin <> p.gtin)
		GROUP BY s.row_number, s.sku, s.gtin, s.row_data ORDER BY s.row_number`, r.batch.SupplierID, id).Scan(&stored).Error
	if err != nil {
		return err
	}
	errRows, drop = nil, nil
	for _, c := range stored {
		e := rowErr(CodeGTINConflict, "GTIN %s already belongs to your SKU %q", c.GTIN, c.Other)
		errRows = append(errRows, r.errorRow(c, colGTIN, c.GTIN, e))
		drop = append(drop, c.RowNumber)
	}
	return r.dropStaged(ctx, tx, drop, errRows)
}

func (r *run) errorRow(c clash, col int, value string, e *RowError) []any {
	return []any{r.batch.ID, c.RowNumber, c.SKU, r.layout.header(col), value, e.Code, e.Message, e.Hint, c.RowData}
}

// dropStaged records row errors and removes those rows from staging.
func (r *run) dropStaged(ctx context.Context, tx *gorm.DB, rows []int, errRows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if err := database.InsertRows(ctx, tx, "import_row_errors", errorColumns, errRows); err != nil {
		return err
	}
	sort.Ints(rows)
	unique := rows[:0]
	for i, n := range rows {
		if i == 0 || n != rows[i-1] {
			unique = append(unique, n)
		}
	}
	for start := 0; start < len(unique); start += 500 {
		chunk := unique[start:min(start+500, len(unique))]
		if err := tx.Exec("DELETE FROM import_staging WHERE batch_id = ? AND row_number IN ?", r.batch.ID, chunk).Error; err != nil {
			return err
		}
	}
	r.batch.RowsRejected += len(unique)
	return nil
}

// count sorts the remaining rows into created, updated and unchanged.
func (r *run) count(tx *gorm.DB) error {
	var c struct{ Created, Updated, Unchanged int }
	err := tx.Raw(`SELECT
			COALESCE(SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END), 0) AS created,
			COALESCE(SUM(CASE WHEN p.id IS NOT NULL AND p.content_hash <> s.content_hash THEN 1 ELSE 0 END), 0) AS updated,
			COALESCE(SUM(CASE WHEN p.content_hash = s.content_hash THEN 1 ELSE 0 END), 0) AS unchanged
		FROM import_staging s LEFT JOIN products p ON p.supplier_id = ? AND p.sku = s.sku
		WHERE s.batch_id = ?`, r.batch.SupplierID, r.batch.ID).Scan(&c).Error
	r.batch.RowsCreated, r.batch.RowsUpdated, r.batch.RowsUnchanged = c.Created, c.Updated, c.Unchanged
	return err
}

// upsert writes new and changed rows; a row identical to the stored product
// is not written at all. The latest support end ever declared is kept, so a
// later shortening of the support period can be flagged.
func (r *run) upsert(tx *gorm.DB) error {
	now := time.Now().UTC()
	return tx.Exec(`INSERT INTO products (supplier_id, sku, gtin, brand, model, match_key, name, category, markets,
			password_model, vuln_report_contact, support_end, support_end_declared, statement_of_compliance, ce_marking,
			hardware_version, firmware_version, price, currency, extra, content_hash, batch_id, created_at, updated_at)
		SELECT ?, sku, gtin, brand, model, match_key, name, category, markets,
			password_model, vuln_report_contact, support_end, support_end, statement_of_compliance, ce_marking,
			hardware_version, firmware_version, price, currency, extra, content_hash, batch_id, ?, ?
		FROM import_staging WHERE batch_id = ?
		ON CONFLICT (supplier_id, sku) DO UPDATE SET
			gtin = excluded.gtin, brand = excluded.brand, model = excluded.model, match_key = excluded.match_key,
			name = excluded.name, category = excluded.category, markets = excluded.markets,
			password_model = excluded.password_model, vuln_report_contact = excluded.vuln_report_contact,
			support_end = excluded.support_end,
			support_end_declared = CASE
				WHEN products.support_end_declared IS NULL OR excluded.support_end > products.support_end_declared
				THEN COALESCE(excluded.support_end, products.support_end_declared)
				ELSE products.support_end_declared END,
			statement_of_compliance = excluded.statement_of_compliance, ce_marking = excluded.ce_marking,
			hardware_version = excluded.hardware_version, firmware_version = excluded.firmware_version,
			price = excluded.price, currency = excluded.currency, extra = excluded.extra,
			content_hash = excluded.content_hash, batch_id = excluded.batch_id, updated_at = excluded.updated_at
		WHERE products.content_hash <> excluded.content_hash`,
		r.batch.SupplierID, now, now, r.batch.ID).Error
}

// replaceLabels rewrites the label claims of the products this batch wrote.
func (r *run) replaceLabels(tx *gorm.DB) error {
	if err := tx.Exec(`DELETE FROM label_claims WHERE product_id IN (SELECT id FROM products WHERE supplier_id = ? AND batch_id = ?)`,
		r.batch.SupplierID, r.batch.ID).Error; err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO label_claims (product_id, scheme, label_id, label_key)
		SELECT p.id, l.scheme, l.label_id, l.label_key FROM import_staging_labels l
		JOIN import_staging s ON s.batch_id = l.batch_id AND s.row_number = l.row_number
		JOIN products p ON p.supplier_id = ? AND p.sku = s.sku
		WHERE l.batch_id = ? AND p.batch_id = ?`, r.batch.SupplierID, r.batch.ID, r.batch.ID).Error
}

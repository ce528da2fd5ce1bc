package imports

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/audit"
	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/app/errs"
)

// commit turns the valid rows into products in one transaction: rows that
// clash with each other or with the supplier's other SKUs are rejected, the
// rest are upserted by (supplier, sku) from the spool, unchanged rows are
// left alone.
func (r *run) commit(ctx context.Context) error {
	return r.im.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := r.claimForCommit(tx); err != nil {
			return err
		}
		rejected, err := r.rejectClashes(ctx, tx)
		if err != nil {
			return err
		}
		if err := r.count(tx); err != nil {
			return err
		}
		var unchanged rowSet
		if r.batch.RowsUnchanged > 0 {
			if unchanged, err = r.unchangedRows(tx); err != nil {
				return err
			}
		}
		if err := r.writeProducts(ctx, tx, rejected, unchanged); err != nil {
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
		err = tx.Table("import_batches").Where("id = ?", r.batch.ID).Updates(map[string]any{
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

// ErrInterrupted means the batch was failed as abandoned before it could
// commit (its process looked dead or silent to another replica).
var ErrInterrupted = errs.E(errs.Conflict, "INTERRUPTED",
	"this import was marked abandoned before it could finish; nothing of this file was stored: upload it again")

// claimForCommit refreshes the batch's heartbeat inside the commit's
// transaction, and fails if the batch is no longer running. The row stays
// locked until the commit ends, so a replica that finds the heartbeat stale
// meanwhile waits for the outcome instead of failing a batch that is
// committing (RecoverAbandoned rechecks the status).
func (r *run) claimForCommit(tx *gorm.DB) error {
	res := tx.Table("import_batches").Where("id = ? AND status = ?", r.batch.ID, StatusRunning).
		Update("heartbeat_at", time.Now().UTC())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrInterrupted
	}
	return nil
}

type clash struct {
	RowNumber int
	SKU       string
	GTIN      string
	Other     string // the other SKU holding the GTIN
}

// rejections are the rows the commit's checks reject, each with its error
// rows; the row as written (the last value of an error row) is filled in
// from the spool.
type rejections map[int][][]any

// rejectClashes finds SKUs repeated in the file and GTINs claimed by two
// SKUs, and takes every row involved out of the staging table.
func (r *run) rejectClashes(ctx context.Context, tx *gorm.DB) (rejections, error) {
	id := r.batch.ID
	out := rejections{}
	var dups []clash
	err := tx.Raw(`SELECT row_number, sku, gtin FROM import_staging
		WHERE batch_id = ? AND sku IN (SELECT sku FROM import_staging WHERE batch_id = ? GROUP BY sku HAVING COUNT(*) > 1)
		ORDER BY sku, row_number`, id, id).Scan(&dups).Error
	if err != nil {
		return nil, err
	}
	rowsOf := map[string][]string{}
	for _, d := range dups {
		rowsOf[d.SKU] = append(rowsOf[d.SKU], strconv.Itoa(d.RowNumber))
	}
	var drop []int
	for _, d := range dups {
		e := rowErr(CodeDuplicateSKU, "SKU %q appears on rows %s of this file", d.SKU, strings.Join(rowsOf[d.SKU], ", "))
		out[d.RowNumber] = append(out[d.RowNumber], r.errorRow(d, colSKU, d.SKU, e))
		drop = append(drop, d.RowNumber)
	}
	if err := r.dropStaged(tx, drop); err != nil {
		return nil, err
	}

	var inFile []clash
	err = tx.Raw(`SELECT row_number, sku, gtin FROM import_staging
		WHERE batch_id = ? AND gtin IN (SELECT gtin FROM import_staging WHERE batch_id = ? GROUP BY gtin HAVING COUNT(*) > 1)
		ORDER BY gtin, row_number`, id, id).Scan(&inFile).Error
	if err != nil {
		return nil, err
	}
	skusOf := map[string][]string{}
	for _, c := range inFile {
		skusOf[c.GTIN] = append(skusOf[c.GTIN], fmt.Sprintf("%s (row %d)", c.SKU, c.RowNumber))
	}
	drop = nil
	for _, c := range inFile {
		e := rowErr(CodeGTINConflict, "GTIN %s is given to several SKUs in this file: %s", c.GTIN, strings.Join(skusOf[c.GTIN], ", "))
		out[c.RowNumber] = append(out[c.RowNumber], r.errorRow(c, colGTIN, c.GTIN, e))
		drop = append(drop, c.RowNumber)
	}
	if err := r.dropStaged(tx, drop); err != nil {
		return nil, err
	}

	// A GTIN already held by another stored SKU of this supplier, unless this
	// same file moves that SKU to another GTIN.
	var stored []clash
	err = tx.Raw(`SELECT s.row_number, s.sku, s.gtin, MIN(p.sku) AS other FROM import_staging s
		JOIN products p ON p.supplier_id = ? AND p.gtin = s.gtin AND p.sku <> s.sku
		WHERE s.batch_id = ? AND NOT EXISTS (
			SELECT 1 FROM import_staging s2 WHERE s2.batch_id = s.batch_id AND s2.sku = p.sku AND s2.gtin <> p.gtin)
		GROUP BY s.row_number, s.sku, s.gtin ORDER BY s.row_number`, r.batch.SupplierID, id).Scan(&stored).Error
	if err != nil {
		return nil, err
	}
	drop = nil
	for _, c := range stored {
		e := rowErr(CodeGTINConflict, "GTIN %s already belongs to your SKU %q", c.GTIN, c.Other)
		out[c.RowNumber] = append(out[c.RowNumber], r.errorRow(c, colGTIN, c.GTIN, e))
		drop = append(drop, c.RowNumber)
	}
	return out, r.dropStaged(tx, drop)
}

// errorRow is an import_row_errors row; its row_data comes from the spool.
func (r *run) errorRow(c clash, col int, value string, e *RowError) []any {
	return []any{r.batch.ID, c.RowNumber, c.SKU, r.layout.header(col), value, e.Code, e.Message, e.Hint, ""}
}

// dropStaged takes rejected rows out of staging, so that the checks after
// it, the counts and the label claims no longer see them.
func (r *run) dropStaged(tx *gorm.DB, rows []int) error {
	if len(rows) == 0 {
		return nil
	}
	sort.Ints(rows)
	unique := slices.Compact(rows)
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

// unchangedRows are the rows identical to the stored product: they are not
// sent to the database at all.
func (r *run) unchangedRows(tx *gorm.DB) (rowSet, error) {
	rows, err := tx.Raw(`SELECT s.row_number FROM import_staging s
		JOIN products p ON p.supplier_id = ? AND p.sku = s.sku AND p.content_hash = s.content_hash
		WHERE s.batch_id = ?`, r.batch.SupplierID, r.batch.ID).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var set rowSet
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		set.add(n)
	}
	return set, rows.Err()
}

var productColumns = []string{"supplier_id", "sku", "gtin", "brand", "model", "match_key", "name", "category", "markets",
	"password_model", "vuln_report_contact", "support_end", "support_end_declared", "statement_of_compliance", "ce_marking",
	"hardware_version", "firmware_version", "price", "currency", "extra", "content_hash", "batch_id", "created_at", "updated_at"}

// upsertProducts writes a row only if it differs from the stored product.
// The latest support end ever declared is kept, so that a later shortening
// of the support period can be flagged.
const upsertProducts = ` ON CONFLICT (supplier_id, sku) DO UPDATE SET
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
	WHERE products.content_hash <> excluded.content_hash`

// writeProducts replays the spool: new and changed rows go to products, rejected
// rows to the row errors with the row as written; unchanged rows are skipped.
// One goroutine decodes the spool into rows while this one sends them, so
// the decoding is off the database's path.
func (r *run) writeProducts(ctx context.Context, tx *gorm.DB, rejected rejections, unchanged rowSet) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan outRows, 1)
	decoded := make(chan error, 1)
	go func() {
		defer close(chunks)
		decoded <- r.decodeSpool(ctx, rejected, unchanged, chunks)
	}()

	products := database.NewRowWriter(ctx, tx, "products", productColumns, upsertProducts)
	defer products.Close()
	problems := database.NewRowWriter(ctx, tx, "import_row_errors", errorColumns, "")
	defer problems.Close()
	var werr error
	for c := range chunks {
		if werr != nil {
			continue // drain, so the decoder can finish
		}
		werr = writeChunk(products, problems, c)
		if werr != nil {
			cancel()
		}
	}
	if err := <-decoded; werr == nil && err != nil {
		werr = err
	}
	if werr != nil {
		return werr
	}
	if err := products.Flush(); err != nil {
		return err
	}
	if got, want := products.RowsAffected(), int64(r.batch.RowsCreated+r.batch.RowsUpdated); got != want {
		return fmt.Errorf("import wrote %d products, expected %d created or updated", got, want)
	}
	return problems.Flush()
}

// outRows are decoded spool rows ready to send: product rows and error rows.
type outRows struct{ products, problems [][]any }

// outChunk is how many spool rows go to the writer at a time.
const outChunk = 100

func writeChunk(products, problems *database.RowWriter, c outRows) error {
	for _, row := range c.products {
		if err := products.Write(row...); err != nil {
			return err
		}
	}
	for _, row := range c.problems {
		if err := problems.Write(row...); err != nil {
			return err
		}
	}
	return nil
}

// decodeSpool turns the spool into product rows and, for the rows the
// commit's checks rejected, error rows carrying the row as written.
func (r *run) decodeSpool(ctx context.Context, rejected rejections, unchanged rowSet, out chan<- outRows) error {
	now := time.Now().UTC()
	var c outRows
	send := func() error {
		select {
		case out <- c:
			c = outRows{}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	n := 0
	err := r.spool.each(func(row int, v, cells []string) error {
		if errRows, ok := rejected[row]; ok {
			data := rowData(cells)
			for _, e := range errRows {
				e[len(e)-1] = data
				c.problems = append(c.problems, e)
			}
			delete(rejected, row)
		} else if !unchanged.has(row) {
			supportEnd := nullIfEmpty(v[10])
			c.products = append(c.products, []any{r.batch.SupplierID, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
				v[8], v[9], supportEnd, supportEnd, v[11], v[12],
				v[13], v[14], v[15], v[16], v[17], v[18], r.batch.ID, now, now})
		}
		if n++; n%outChunk == 0 {
			return send()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(rejected) > 0 {
		return fmt.Errorf("import spool: %d rejected rows not found in it", len(rejected))
	}
	return send()
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
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

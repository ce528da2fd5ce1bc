package imports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// commit turns the staged rows into products in one transaction: rows that
// clash with each other or with the supplier's other SKUs are rejected, the
// rest are upserted by (supplier, sku), unchanged rows are left alone.
func (r *run) commit(ctx context.Context) error {
	err := r.conn.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if r.dry != nil {
			// A dry run's batch exists only in this transaction: the
			// products written refer to it, and OnCommit finds them by it.
			if err := tx.Create(&r.batch).Error; err != nil {
				return dryRunBatchError(err)
			}
		}
		if err := r.claimForCommit(tx); err != nil {
			return err
		}
		// A supplier's first import has nothing stored to compare with or
		// clash against.
		first, err := r.firstImport(tx)
		if err != nil {
			return err
		}
		rejected, err := r.rejectClashes(ctx, tx, first)
		if err != nil {
			return err
		}
		if r.dry != nil {
			r.dry.errors = append(r.dry.errors, rejected...)
		} else if err := database.InsertRows(ctx, tx, "import_row_errors", errorColumns, valuesOf(rejected)); err != nil {
			return err
		}
		if err := r.count(tx, first); err != nil {
			return err
		}
		if err := r.accounted(); err != nil {
			return err
		}
		shared, err := r.offeredElsewhere(tx)
		if err != nil {
			return err
		}
		now := r.im.now()
		if err := r.dropChangedLabels(tx); err != nil {
			return err
		}
		if err := r.writeProducts(tx, now); err != nil {
			return err
		}
		if err := r.writeLabels(tx); err != nil {
			return err
		}
		if err := r.reconcileOffers(ctx, tx, shared); err != nil {
			return err
		}
		if r.im.OnCommit != nil {
			if err := r.im.OnCommit(ctx, tx, r.batch.ID); err != nil {
				return fmt.Errorf("verdicts: %w", err)
			}
		}
		if r.dry != nil {
			if r.dry.verdicts, err = r.wouldBe(tx); err != nil {
				return err
			}
			// No audit entry: the audit log records what changed, and a dry
			// run changes nothing (an entry would be the one thing it stored).
			r.batch.ID, r.batch.Status, r.batch.FinishedAt, r.batch.HeartbeatAt = 0, StatusDryRun, &now, nil
			return errDryRunDone
		}
		r.batch.Status, r.batch.FinishedAt = StatusCommitted, &now
		err = tx.Table("import_batches").Where("id = ?", r.batch.ID).Updates(map[string]any{
			"status": StatusCommitted, "finished_at": now, "format": r.batch.Format,
			"rows_processed": r.batch.RowsProcessed, "rows_total": r.batch.RowsTotal,
			"rows_created": r.batch.RowsCreated, "rows_updated": r.batch.RowsUpdated,
			"rows_unchanged": r.batch.RowsUnchanged, "rows_rejected": r.batch.RowsRejected,
			"headers": r.batch.Headers, "header_row": r.batch.HeaderRow, "warnings": r.batch.Warnings, "mapped": r.batch.Mapped,
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
	if r.dry != nil && errors.Is(err, errDryRunDone) {
		return nil
	}
	return err
}

// dryRunBatchError is why a dry run's batch could not be recorded in its
// transaction: the supplier's real import is running (one running batch per
// supplier), or a database error.
func dryRunBatchError(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrInProgress
	}
	return err
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
func (r *run) claimForCommit(tx *gorm.DB) error { return heartbeat(tx, r.batch.ID, r.im.now(), nil) }

type clash struct {
	RowNumber int
	SKU       string
	GTIN      string
	Other     string // the other SKU holding the GTIN
}

// repeatsOf returns the staged rows whose column (indexSKU, indexGTIN)
// holds a value another staged row holds too, by value and row; none
// without a look when the rows came in increasing order of it.
func repeatsOf(tx *gorm.DB, column string, order increasing) ([]clash, error) {
	if !order.repeatsPossible() {
		return nil, nil
	}
	var out []clash
	err := tx.Raw(`SELECT row_number, sku, gtin FROM staged_rows
		WHERE ` + column + ` IN (SELECT ` + column + ` FROM staged_rows GROUP BY ` + column + ` HAVING COUNT(*) > 1)
		ORDER BY ` + column + `, row_number`).Scan(&out).Error
	return out, err
}

// rejectClashes finds SKUs repeated in the file and GTINs claimed by two
// SKUs, takes every row involved out of the staging, and returns the error
// rows, each carrying the row as written.
func (r *run) rejectClashes(ctx context.Context, tx *gorm.DB, first bool) ([]errorRow, error) {
	var out []errorRow

	dups, err := repeatsOf(tx, indexSKU, r.skuOrder)
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
		out = append(out, r.errorRow(d, colSKU, d.SKU, e))
		drop = append(drop, d.RowNumber)
	}
	if err := r.dropStaged(tx, drop); err != nil {
		return nil, err
	}

	inFile, err := repeatsOf(tx, indexGTIN, r.gtinOrder)
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
		out = append(out, r.errorRow(c, colGTIN, c.GTIN, e))
		drop = append(drop, c.RowNumber)
	}
	if err := r.dropStaged(tx, drop); err != nil {
		return nil, err
	}

	if first {
		return r.withRowsAsWritten(out)
	}
	// The checks of an import that is not the first look rows up by SKU
	// (this one, the offers' check); made here if the import looked like a
	// first one before its transaction began.
	if err := r.staging.index(ctx, tx, r.indexesNeeded(first)...); err != nil {
		return nil, err
	}
	// A GTIN already held by another stored SKU of this supplier, unless this
	// same file moves that SKU to another GTIN.
	var stored []clash
	err = tx.Raw(`SELECT s.row_number, s.sku, s.gtin, MIN(p.sku) AS other FROM staged_rows s
		JOIN products p ON p.supplier_id = ? AND p.gtin = s.gtin AND p.sku <> s.sku
		WHERE NOT EXISTS (SELECT 1 FROM staged_rows s2 WHERE s2.sku = p.sku AND s2.gtin <> p.gtin)
		GROUP BY s.row_number, s.sku, s.gtin ORDER BY s.row_number`, r.batch.SupplierID).Scan(&stored).Error
	if err != nil {
		return nil, err
	}
	drop = nil
	for _, c := range stored {
		e := rowErr(CodeGTINConflict, "GTIN %s already belongs to your SKU %q", c.GTIN, c.Other)
		out = append(out, r.errorRow(c, colGTIN, c.GTIN, e))
		drop = append(drop, c.RowNumber)
	}
	if err := r.dropStaged(tx, drop); err != nil {
		return nil, err
	}
	return r.withRowsAsWritten(out)
}

// withRowsAsWritten fills in each error row's row as written, from the spool.
func (r *run) withRowsAsWritten(errorRows []errorRow) ([]errorRow, error) {
	rows := make([]int, len(errorRows))
	for i, e := range errorRows {
		rows[i] = e.RowNumber
	}
	written, err := r.cells.rows(rows)
	if err != nil {
		return nil, err
	}
	for i := range errorRows {
		errorRows[i].RowData = rowData(written[errorRows[i].RowNumber])
	}
	return errorRows, nil
}

// errorRow is the error row of a clash; its row as written is filled in
// from the spool (withRowsAsWritten).
func (r *run) errorRow(c clash, col int, value string, e *RowError) errorRow {
	return errorRow{BatchID: r.batch.ID, RowNumber: c.RowNumber, SKU: c.SKU, Column: r.layout.header(col), Value: value,
		Code: e.Code, Message: e.Message, Hint: e.Hint}
}

// dropStaged takes rejected rows out of the staging, so that the checks
// after it, the counts and the label claims no longer see them.
func (r *run) dropStaged(tx *gorm.DB, rows []int) error {
	if len(rows) == 0 {
		return nil
	}
	sort.Ints(rows)
	unique := slices.Compact(rows)
	for start := 0; start < len(unique); start += 500 {
		chunk := unique[start:min(start+500, len(unique))]
		if err := tx.Exec("DELETE FROM staged_rows WHERE row_number IN ?", chunk).Error; err != nil {
			return err
		}
	}
	r.batch.RowsRejected += len(unique)
	return nil
}

// indexesNeeded are the staging indexes the commit's checks use: the
// SKU's and the GTIN's to find repeats in the file, unless the rows' order
// rules them out; the SKU's always when the import is not the first.
func (r *run) indexesNeeded(first bool) []string {
	var out []string
	if !first || r.skuOrder.repeatsPossible() {
		out = append(out, indexSKU)
	}
	if r.gtinOrder.repeatsPossible() {
		out = append(out, indexGTIN)
	}
	return out
}

// firstImport reports whether the supplier has no stored product yet.
func (r *run) firstImport(tx *gorm.DB) (bool, error) {
	var stored int64
	err := tx.Raw("SELECT COUNT(*) FROM (SELECT 1 FROM products WHERE supplier_id = ? LIMIT 1) x", r.batch.SupplierID).Scan(&stored).Error
	return stored == 0, err
}

// count sorts the remaining rows into created, updated and unchanged; on a
// first import every row is new.
func (r *run) count(tx *gorm.DB, first bool) error {
	if first {
		return tx.Raw("SELECT COUNT(*) FROM staged_rows").Scan(&r.batch.RowsCreated).Error
	}
	var c struct{ Created, Updated, Unchanged int }
	err := tx.Raw(`SELECT
			COALESCE(SUM(CASE WHEN p.id IS NULL THEN 1 ELSE 0 END), 0) AS created,
			COALESCE(SUM(CASE WHEN p.id IS NOT NULL AND p.content_hash <> s.content_hash THEN 1 ELSE 0 END), 0) AS updated,
			COALESCE(SUM(CASE WHEN p.content_hash = s.content_hash THEN 1 ELSE 0 END), 0) AS unchanged
		FROM staged_rows s LEFT JOIN products p ON p.supplier_id = ? AND p.sku = s.sku`, r.batch.SupplierID).Scan(&c).Error
	r.batch.RowsCreated, r.batch.RowsUpdated, r.batch.RowsUnchanged = c.Created, c.Updated, c.Unchanged
	return err
}

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

// writeProducts copies the staged rows into products, inside the
// database: new and changed rows are written, unchanged ones left alone.
func (r *run) writeProducts(tx *gorm.DB, now time.Time) error {
	cols := strings.Join(stagedProductColumns, ", ")
	// The ids are the database's own integers, not input: they are written
	// into the statement, the same for every row.
	// Unchanged rows are left out before the upsert, not only by its WHERE:
	// PostgreSQL locks every conflicting row ON CONFLICT DO UPDATE meets,
	// updated or not, which rewrote each page of an unchanged catalogue
	// (11 s for 100,000 rows of which 1,000 changed). A first import has
	// nothing to leave out.
	unchanged := ""
	if r.batch.RowsUnchanged > 0 {
		unchanged = fmt.Sprintf(` AND NOT EXISTS (SELECT 1 FROM products p WHERE p.supplier_id = %d
			AND p.sku = staged_rows.sku AND p.content_hash = staged_rows.content_hash)`, r.batch.SupplierID)
	}
	// When every row is new (counted in this transaction, and one import
	// runs for a supplier at a time), a plain INSERT does: PostgreSQL's
	// speculative insertion for ON CONFLICT costs more per row. A row that
	// appeared meanwhile fails the transaction, and the import with it.
	upsert := upsertProducts
	if r.batch.RowsUpdated == 0 && r.batch.RowsUnchanged == 0 {
		upsert = ""
	}
	res := tx.Exec(fmt.Sprintf(`INSERT INTO products (supplier_id, batch_id, created_at, updated_at, support_end_declared, %s)
		SELECT %d, %d, ?, ?, support_end, %s FROM staged_rows WHERE true%s`, cols, r.batch.SupplierID, r.batch.ID, cols, unchanged)+upsert,
		now, now)
	if res.Error != nil {
		return fmt.Errorf("write products: %w", res.Error)
	}
	if got, want := res.RowsAffected, int64(r.batch.RowsCreated+r.batch.RowsUpdated); got != want {
		return fmt.Errorf("import wrote %d products, expected %d created or updated", got, want)
	}
	return nil
}

// analyseProducts brings PostgreSQL's statistics of products up to date
// after an import committed many new ones. Autovacuum analyses a table
// only minutes after it grew, so until then every query that filters on
// the supplier was planned for the rows it had before (none, after a
// supplier's first import): nested loops of 100,000 index probes where a
// hash join reads each side once, a third of the next import's time
// (issue #18). Only the columns the imports' and the verdicts' queries
// filter and join on are analysed, and ANALYZE samples a bounded number of
// rows, so it costs the same on a large catalogue. It runs after the
// commit, not in the import's transaction, where its lock on products
// (which two ANALYZEs cannot hold at once) would last until the commit and
// make another supplier's import wait for it. The import is stored either
// way: a failure here is logged, and only makes the next import slower.
func (r *run) analyseProducts(ctx context.Context, conn *gorm.DB) {
	if database.DialectOf(conn) != database.Postgres || r.dry != nil || r.batch.RowsCreated < analyseAfterCreated {
		return
	}
	if err := conn.WithContext(ctx).Exec("ANALYZE products (supplier_id, sku, gtin, batch_id, content_hash, match_key)").Error; err != nil {
		slog.WarnContext(ctx, "products not analysed after an import; the next imports may be planned for fewer products", "batch", r.batch.ID, "error", err)
	}
}

// analyseAfterCreated is how many new products make analyseProducts run:
// below it the estimates stay close enough to pick the same plans.
const analyseAfterCreated = 10_000

// dropChangedLabels removes the label claims of the stored products this
// batch changes, before it writes them; their claims are written again from
// the file. New products have none, and unchanged ones keep theirs (the
// content hash covers the labels).
func (r *run) dropChangedLabels(tx *gorm.DB) error {
	if r.batch.RowsUpdated == 0 {
		return nil
	}
	return tx.Exec(`DELETE FROM label_claims WHERE product_id IN (
		SELECT p.id FROM staged_rows s JOIN products p ON p.supplier_id = ? AND p.sku = s.sku
		WHERE p.content_hash <> s.content_hash)`, r.batch.SupplierID).Error
}

// writeLabels stores the label claims of the products this batch wrote:
// those of every staged row but the unchanged ones, which keep theirs.
// With none unchanged, the product's batch need not be read: the supplier
// and SKU index alone gives the product's id.
func (r *run) writeLabels(tx *gorm.DB) error {
	stmt := `INSERT INTO label_claims (product_id, scheme, label_id, label_key)
		SELECT p.id, l.scheme, l.label_id, l.label_key FROM staged_labels l
		JOIN staged_rows s ON s.row_number = l.row_number
		JOIN products p ON p.supplier_id = ? AND p.sku = s.sku`
	if r.batch.RowsUnchanged == 0 {
		return tx.Exec(stmt, r.batch.SupplierID).Error
	}
	return tx.Exec(stmt+" WHERE p.batch_id = ?", r.batch.SupplierID, r.batch.ID).Error
}

package imports

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/app/errs"
	"github.com/cascade-gate/cascade/app/tabular"
	"github.com/cascade-gate/cascade/catalog"
)

// run is the state of one import while it executes.
type run struct {
	im       *Importer
	batch    Batch
	req      Request
	layout   *layout
	spool    *spool
	spoolRow []string
	staged   [][]any
	labels   [][]any
	rejected [][]any
}

// stagingColumns are what the commit's clash and change checks need of each
// valid row; the whole row waits in the spool (spoolColumns and the cells).
var stagingColumns = []string{"batch_id", "row_number", "sku", "gtin", "content_hash"}

var spoolColumns = []string{
	"sku", "gtin", "brand", "model", "match_key", "name", "category", "markets",
	"password_model", "vuln_report_contact", "support_end", "statement_of_compliance", "ce_marking",
	"hardware_version", "firmware_version", "price", "currency", "extra", "content_hash",
}

var stagingLabelColumns = []string{"batch_id", "row_number", "scheme", "label_id", "label_key"}

var errorColumns = []string{"batch_id", "row_number", "sku", "column_name", "value", "code", "message", "hint", "row_data"}

func (r *run) execute(ctx context.Context) error {
	sh, format, err := tabular.Open(r.req.Path, r.im.limits.file(), "Products")
	if err != nil {
		return err
	}
	defer sh.Close()
	r.batch.Format = format
	if r.spool, err = newSpool(len(spoolColumns)); err != nil {
		return err
	}
	defer r.spool.close()
	schemes, err := r.knownSchemes(ctx)
	if err != nil {
		return err
	}
	// The parse goes on while the rows parsed so far are written: one
	// goroutine parses, another writes, one flush at a time in between.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	flushes := make(chan flush)
	written := make(chan error, 1)
	go func() { written <- r.writeFlushes(ctx, cancel, flushes) }()
	perr := r.parse(ctx, &parser{sheet: sh, schemes: schemes, limits: r.im.limits}, flushes)
	close(flushes)
	if werr := <-written; werr != nil {
		return werr // the parse stopped because of it
	}
	if perr != nil {
		return perr
	}
	return r.commit(ctx)
}

// flush is the rows parsed since the last one, and how far the parse is.
type flush struct {
	staged, labels, rejected [][]any
	scanned, estimate        int
	rowsRejected             int
}

// parse reads the sheet, spools valid rows and hands the database's share
// of each thousand rows to the writer.
func (r *run) parse(ctx context.Context, p *parser, flushes chan<- flush) error {
	send := func(estimate int) error {
		f := flush{staged: r.staged, labels: r.labels, rejected: r.rejected,
			scanned: p.scanned, estimate: estimate, rowsRejected: r.batch.RowsRejected}
		r.staged, r.labels, r.rejected = nil, nil, nil
		select {
		case flushes <- f:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		prod, problems, cells, ok, err := p.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if r.layout == nil { // the first data row: the header is known
			r.layout = p.layout
			r.batch.Headers, r.batch.HeaderRow, r.batch.Warnings = p.layout.Headers, p.layout.HeaderRow, p.warnings
		}
		if problems != nil {
			data := rowData(cells)
			for _, e := range problems {
				r.rejected = append(r.rejected, []any{r.batch.ID, e.Row, e.SKU, e.Column, e.Value, e.Code, e.Message, e.Hint, data})
			}
			r.batch.RowsRejected++
		} else if err := r.stage(prod, cells); err != nil {
			return err
		}
		if p.dataRows%flushRows == 0 {
			if err := send(p.sheet.Estimate()); err != nil {
				return err
			}
		}
	}
	if r.layout == nil { // a header and no data rows
		r.layout = p.layout
		r.batch.Headers, r.batch.HeaderRow, r.batch.Warnings = p.layout.Headers, p.layout.HeaderRow, p.warnings
	}
	r.batch.RowsProcessed, r.batch.RowsTotal = p.scanned, p.scanned
	return send(p.scanned)
}

// writeFlushes writes each flush in turn. On the first error it cancels the
// parse and drains the rest.
func (r *run) writeFlushes(ctx context.Context, cancel func(), flushes <-chan flush) error {
	var err error
	for f := range flushes {
		if err == nil {
			if err = r.store(ctx, f); err != nil {
				cancel()
			}
		}
	}
	return err
}

// stage spools a valid row and queues its keys and label claims for the next flush.
func (r *run) stage(p product, cells []string) error {
	for _, l := range p.Labels {
		r.labels = append(r.labels, []any{r.batch.ID, p.Row, l.Scheme, l.ID, l.Key})
	}
	r.staged = append(r.staged, []any{r.batch.ID, p.Row, p.SKU, p.GTIN, p.Hash})
	r.spoolRow = append(r.spoolRow[:0],
		p.SKU, p.GTIN, p.Brand, p.Model, p.MatchKey, p.Name, p.Category, strings.Join(p.Markets, " "),
		p.PasswordModel, p.Contact, p.SupportEnd.String(), p.Statement, p.CE,
		p.Hardware, p.Firmware, p.Price, p.Currency, p.Extra, p.Hash)
	return r.spool.add(p.Row, r.spoolRow, cells)
}

func (r *run) knownSchemes(ctx context.Context) (map[string]bool, error) {
	codes, err := catalog.NewStore(r.im.db).SchemeCodes(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m, nil
}

// store writes one flush's rows and the progress, in one short transaction.
func (r *run) store(ctx context.Context, f flush) error {
	total := max(f.estimate, f.scanned)
	now := time.Now().UTC()
	err := r.im.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := database.InsertRows(ctx, tx, "import_staging", stagingColumns, f.staged); err != nil {
			return err
		}
		if err := database.InsertRows(ctx, tx, "import_staging_labels", stagingLabelColumns, f.labels); err != nil {
			return err
		}
		if err := database.InsertRows(ctx, tx, "import_row_errors", errorColumns, f.rejected); err != nil {
			return err
		}
		return tx.Table("import_batches").Where("id = ?", r.batch.ID).Updates(map[string]any{
			"rows_processed": f.scanned, "rows_total": total,
			"rows_rejected": f.rowsRejected, "heartbeat_at": now,
		}).Error
	})
	if err != nil {
		return fmt.Errorf("store rows: %w", err)
	}
	if r.req.Progress != nil {
		r.req.Progress(Progress{Rows: f.scanned, Estimated: total})
	}
	return nil
}

// fail marks the batch failed and drops its staged rows. Row errors already
// found are kept: they still tell the supplier what to fix.
func (r *run) fail(ctx context.Context, cause error) error {
	msg := cause.Error()
	if e, ok := errs.As(cause); ok {
		msg = e.Code + ": " + e.Message
	}
	now := time.Now().UTC()
	r.batch.Status, r.batch.Error, r.batch.FinishedAt = StatusFailed, msg, &now
	return r.im.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := dropStaging(tx, r.batch.ID); err != nil {
			return err
		}
		return tx.Table("import_batches").Where("id = ?", r.batch.ID).Updates(map[string]any{
			"status": StatusFailed, "error": msg, "finished_at": now, "format": r.batch.Format,
			"headers": r.batch.Headers, "header_row": r.batch.HeaderRow, "warnings": r.batch.Warnings,
		}).Error
	})
}

// dropStaging removes what a batch staged.
func dropStaging(tx *gorm.DB, batchID int64) error {
	if err := tx.Exec("DELETE FROM import_staging_labels WHERE batch_id = ?", batchID).Error; err != nil {
		return err
	}
	return tx.Exec("DELETE FROM import_staging WHERE batch_id = ?", batchID).Error
}

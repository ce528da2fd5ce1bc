package imports

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/database"
	"github.com/cascade-gate/cascade/app/errs"
)

// run is the state of one import while it executes.
type run struct {
	im        *Importer
	batch     Batch
	req       Request
	layout    *layout
	validator *validator
	staged    [][]any
	rejected  [][]any
	dataRows  int
}

var stagingColumns = []string{
	"batch_id", "row_number", "sku", "gtin", "brand", "model", "match_key", "name", "category", "markets",
	"password_model", "vuln_report_contact", "support_end", "statement_of_compliance", "ce_marking",
	"hardware_version", "firmware_version", "price", "currency", "extra", "labels", "content_hash", "row_data",
}

var errorColumns = []string{"batch_id", "row_number", "sku", "column_name", "value", "code", "message", "hint", "row_data"}

func (r *run) execute(ctx context.Context) error {
	sh, format, err := openSheet(r.req.Path, r.im.limits)
	if err != nil {
		return err
	}
	defer sh.Close()
	r.batch.Format = format

	schemes, err := r.knownSchemes(ctx)
	if err != nil {
		return err
	}
	scanned := 0
	for sh.Next() {
		num, cells := sh.Row()
		scanned++
		if isEmpty(cells) {
			continue
		}
		if r.layout == nil {
			l, err := findLayout(num, cells)
			if err != nil {
				return err
			}
			if l == nil {
				if num >= maxTitleRows {
					return errs.Invalidf("NO_HEADER_ROW", "no header row in the first %d rows: the sheet needs a row naming the columns sku, gtin, brand, model, category, markets", maxTitleRows)
				}
				continue // a title row above the header
			}
			r.layout = l
			r.validator = &validator{layout: l, schemes: schemes, dates: sh.dateInput()}
			r.batch.Headers, r.batch.HeaderRow = l.Headers, num
			if unknown := l.unknownColumns(); len(unknown) > 0 {
				r.batch.Warnings = append(r.batch.Warnings, Warning{Code: "UNKNOWN_COLUMNS",
					Message: fmt.Sprintf("column(s) %s are not Cascade columns: kept on the product as extra data", strings.Join(unknown, ", "))})
			}
			continue
		}
		r.dataRows++
		if r.dataRows > r.im.limits.MaxDataRows {
			return errs.Invalidf("TOO_MANY_ROWS", "the file has more than %d product rows: split it into several files", r.im.limits.MaxDataRows)
		}
		p, problems := r.validator.check(num, cells)
		if problems != nil {
			data := rowData(cells)
			for _, e := range problems {
				r.rejected = append(r.rejected, []any{r.batch.ID, e.Row, e.SKU, e.Column, e.Value, e.Code, e.Message, e.Hint, data})
			}
			r.batch.RowsRejected++
		} else {
			r.staged = append(r.staged, r.stagingRow(p, cells))
		}
		if r.dataRows%flushRows == 0 {
			if err := r.flush(ctx, scanned, sh.Estimate()); err != nil {
				return err
			}
		}
	}
	if err := sh.Err(); err != nil {
		return err
	}
	if r.layout == nil {
		return errs.Invalidf("NO_HEADER_ROW", "the file has no header row naming the columns sku, gtin, brand, model, category, markets")
	}
	if err := r.flush(ctx, scanned, scanned); err != nil {
		return err
	}
	return r.commit(ctx)
}

func isEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (r *run) stagingRow(p product, cells []string) []any {
	var labels strings.Builder
	for _, l := range p.Labels {
		fmt.Fprintf(&labels, "%s\t%s\t%s\n", l.Scheme, l.ID, l.Key)
	}
	supportEnd, _ := p.SupportEnd.Value()
	return []any{
		r.batch.ID, p.Row, p.SKU, p.GTIN, p.Brand, p.Model, p.MatchKey, p.Name, p.Category, strings.Join(p.Markets, " "),
		p.PasswordModel, p.Contact, supportEnd, p.Statement, p.CE,
		p.Hardware, p.Firmware, p.Price, p.Currency, p.Extra, labels.String(), p.Hash, rowData(cells),
	}
}

func (r *run) knownSchemes(ctx context.Context) (map[string]bool, error) {
	var codes []string
	if err := r.im.db.WithContext(ctx).Table("schemes").Pluck("code", &codes).Error; err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m, nil
}

// flush writes the parsed rows so far and the progress, in one short transaction.
func (r *run) flush(ctx context.Context, scanned, estimate int) error {
	r.batch.RowsProcessed = scanned
	r.batch.RowsTotal = max(estimate, scanned)
	now := time.Now().UTC()
	err := r.im.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := database.InsertRows(ctx, tx, "import_staging", stagingColumns, r.staged); err != nil {
			return err
		}
		if err := database.InsertRows(ctx, tx, "import_row_errors", errorColumns, r.rejected); err != nil {
			return err
		}
		return tx.Table("import_batches").Where("id = ?", r.batch.ID).Updates(map[string]any{
			"rows_processed": r.batch.RowsProcessed, "rows_total": r.batch.RowsTotal,
			"rows_rejected": r.batch.RowsRejected, "heartbeat_at": now,
		}).Error
	})
	if err != nil {
		return fmt.Errorf("store rows: %w", err)
	}
	r.staged, r.rejected = r.staged[:0], r.rejected[:0]
	if r.req.Progress != nil {
		r.req.Progress(Progress{Rows: scanned, Estimated: r.batch.RowsTotal})
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
		if err := tx.Exec("DELETE FROM import_staging WHERE batch_id = ?", r.batch.ID).Error; err != nil {
			return err
		}
		return tx.Table("import_batches").Where("id = ?", r.batch.ID).Updates(map[string]any{
			"status": StatusFailed, "error": msg, "finished_at": now, "format": r.batch.Format,
			"headers": r.batch.Headers, "header_row": r.batch.HeaderRow, "warnings": r.batch.Warnings,
		}).Error
	})
}

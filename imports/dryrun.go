package imports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/catalog/policy"
)

// StatusDryRun is the status of a dry run's batch. It is only ever
// answered, never stored: a dry run stores no batch.
const StatusDryRun = "dry_run"

// DryRun is what an import of a file would do, with nothing stored: the
// batch a real import would answer (no id, status dry_run), every row error
// it would report, and the verdicts its products would get.
type DryRun struct {
	Import   Batch        `json:"import"`
	Errors   []RowError   `json:"errors"`
	Verdicts []WouldBeRow `json:"verdicts"`
}

// WouldBeRow is the verdict one product of the file would get in one market
// and channel, with the active policy and the latest registries.
type WouldBeRow struct {
	Row     int             `json:"row"` // the file's row the product comes from
	SKU     string          `json:"sku"`
	GTIN    string          `json:"gtin"`
	Market  string          `json:"market"`
	Channel string          `json:"channel"`
	Verdict string          `json:"verdict"`
	Reasons []policy.Reason `json:"reasons"`
}

// errDryRunDone rolls a dry run's commit transaction back once the preview
// is read from inside it.
var errDryRunDone = errors.New("dry run: roll back")

// DryRun runs the whole import of req's file (the parse, the staging, the
// commit's checks, the writes and the verdicts' recomputation, exactly as
// Import does) inside a transaction that it then rolls back: the answer is
// what Import would answer, and nothing is stored, not even a batch.
//
// It needs the importer's OnCommit (verdicts.AfterImport) to judge the
// products; without it the dry run refuses, rather than answer a preview
// with no verdicts that would read as "nothing blocked".
func (im *Importer) DryRun(ctx context.Context, req Request) (DryRun, error) {
	if im.OnCommit == nil {
		return DryRun{}, errors.New("dry run: the importer has no OnCommit to judge the products with")
	}
	b, err := im.prepareBatch(ctx, req)
	if err != nil {
		return DryRun{}, err
	}
	r := &run{im: im, batch: b, req: req, dry: &dryRun{}}
	release, err := im.waitForSlot(ctx, 0)
	if err != nil {
		return DryRun{}, err
	}
	defer release()
	if err := r.execute(ctx); err != nil {
		return DryRun{}, err
	}
	out := DryRun{Import: r.batch, Errors: make([]RowError, 0, len(r.dry.errors)), Verdicts: r.dry.verdicts}
	sort.SliceStable(r.dry.errors, func(i, j int) bool { return r.dry.errors[i].RowNumber < r.dry.errors[j].RowNumber })
	for _, e := range r.dry.errors {
		out.Errors = append(out.Errors, RowError{Row: e.RowNumber, SKU: e.SKU, Column: e.Column, Value: e.Value, Code: e.Code, Message: e.Message, Hint: e.Hint})
	}
	if out.Verdicts == nil {
		out.Verdicts = []WouldBeRow{}
	}
	return out, nil
}

// dryRun is what a dry run collects instead of storing it.
type dryRun struct {
	errors   []errorRow
	verdicts []WouldBeRow
}

// wouldBe reads, inside the dry run's commit transaction (after OnCommit),
// the verdicts of every product the file's valid rows stand for: those the
// batch created or changed, just recomputed, and the unchanged ones as stored.
func (r *run) wouldBe(tx *gorm.DB) ([]WouldBeRow, error) {
	var rows []struct {
		RowNumber       int
		SKU, GTIN       string
		Market, Channel string
		Verdict         string
		Reasons         string
	}
	err := tx.Raw(`SELECT s.row_number, p.sku, p.gtin, v.market, v.channel, v.verdict, o.reasons
		FROM staged_rows s CROSS JOIN products p JOIN verdicts v ON v.product_id = p.id JOIN verdict_outcomes o ON o.id = v.outcome_id
		WHERE p.supplier_id = ? AND p.sku = s.sku
		ORDER BY s.row_number, v.market, v.channel`, r.batch.SupplierID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read the would-be verdicts: %w", err)
	}
	out := make([]WouldBeRow, len(rows))
	for i, x := range rows {
		out[i] = WouldBeRow{Row: x.RowNumber, SKU: x.SKU, GTIN: x.GTIN, Market: x.Market, Channel: x.Channel, Verdict: x.Verdict}
		if err := json.Unmarshal([]byte(x.Reasons), &out[i].Reasons); err != nil {
			return nil, fmt.Errorf("read the would-be verdicts: %w", err)
		}
	}
	return out, nil
}

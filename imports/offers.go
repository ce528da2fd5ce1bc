package imports

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog/offers"
)

// CodeGTINDisputed warns that a stored row's GTIN is offered by another
// supplier with other data: the row's offer is blocked until resolved.
const CodeGTINDisputed = "GTIN_DISPUTED"

// maxDisputeWarnings caps the per-row dispute warnings a batch keeps; the
// supplier's product list shows every disputed offer.
const maxDisputeWarnings = 1000

// offeredElsewhere takes the verdicts lock and returns the SKUs of the
// staged rows whose GTIN another supplier offers. It runs before the batch
// writes its products: the check probes each row's GTIN in products_gtin
// (which holds the supplier, so the index answers alone), and after the
// write every probe of a first import found the row the batch had just
// written, which PostgreSQL then read from the table to see whether this
// transaction may see it (0.15-0.30 s of a 100,000-row first import, issue
// 18). The other suppliers' offers are the same before and after this
// batch's write. The lock comes first: two suppliers' uploads of one GTIN
// are judged one after the other, from the probe to the commit, and the
// dispute's audit entry comes after the lock, in the documented order.
func (r *run) offeredElsewhere(tx *gorm.DB) ([]string, error) {
	if err := database.Lock(tx, database.LockVerdicts); err != nil {
		return nil, err
	}
	if r.im.beforeReconcile != nil {
		r.im.beforeReconcile()
	}
	var skus []string
	if err := tx.Raw(offeredElsewhereQuery, r.batch.SupplierID).Scan(&skus).Error; err != nil {
		return nil, fmt.Errorf("find shared GTINs: %w", err)
	}
	return skus, nil
}

const offeredElsewhereQuery = `SELECT s.sku FROM staged_rows s
	WHERE EXISTS (SELECT 1 FROM products o WHERE o.gtin = s.gtin AND o.supplier_id <> ?)`

// reconcileOffers judges the offers this upload wrote whose GTIN another
// supplier offers (shared, from offeredElsewhere), and the disputed ones
// it carries, against the other suppliers' offers of the same GTINs
// (catalog/offers), and warns about each row whose offer is disputed,
// without naming who disagrees.
func (r *run) reconcileOffers(ctx context.Context, tx *gorm.DB, shared []string) error {
	if r.dry != nil {
		return r.warnShared(tx, shared)
	}
	var ids []int64
	if err := tx.Raw(disputedStaged, r.batch.SupplierID).Scan(&ids).Error; err != nil {
		return fmt.Errorf("find disputed offers: %w", err)
	}
	for start := 0; start < len(shared); start += 500 {
		var some []int64
		err := tx.Table("products").Where("supplier_id = ? AND sku IN ? AND batch_id = ?", r.batch.SupplierID, shared[start:min(start+500, len(shared))], r.batch.ID).
			Pluck("id", &some).Error
		if err != nil {
			return fmt.Errorf("find shared GTINs: %w", err)
		}
		ids = append(ids, some...)
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	out, err := offers.Reconcile(ctx, tx, r.batch.SupplierID, r.batch.ID, slices.Compact(ids))
	if err != nil {
		return err
	}
	return r.warnDisputed(tx, out.Disputed)
}

// disputedStaged finds the supplier's disputed products the file carries
// (by products_disputed): their dispute is judged again with this upload.
const disputedStaged = `SELECT p.id FROM products p
	WHERE p.supplier_id = ? AND p.disputed AND p.sku IN (SELECT sku FROM staged_rows)`

// CodeGTINShared warns, in a dry run, that another supplier offers the
// row's GTIN: whether the row agrees with that offer is judged at import.
const CodeGTINShared = "GTIN_SHARED"

// warnShared is a dry run's word on the rows whose GTIN another supplier
// offers. A dry run stores nothing, is not audited and may be repeated at
// will, so it does not judge the offers against each other: told which
// rows agree, a file of guesses read another supplier's offer (found by a
// hostile supplier's trial). Each such row is judged on its own data here,
// and the import compares it.
func (r *run) warnShared(tx *gorm.DB, shared []string) error {
	shown := shared[:min(len(shared), maxDisputeWarnings)]
	rows, err := stagedRowsOf(tx, shown)
	if err != nil {
		return err
	}
	for _, sku := range shown {
		x := rows[sku]
		r.batch.Warnings = append(r.batch.Warnings, Warning{Code: CodeGTINShared, Row: x.RowNumber, SKU: sku,
			Message: fmt.Sprintf("Row %d (SKU %s): another supplier offers GTIN %s. A dry run does not compare the offers; at import, a row that does not agree with that offer (brand, model, category or security data) is disputed and blocked in every market until a category manager resolves it.",
				x.RowNumber, sku, x.GTIN),
			Hint: "Check the row against the manufacturer's data before you upload it."})
	}
	if more := len(shared) - len(shown); more > 0 {
		r.batch.Warnings = append(r.batch.Warnings, Warning{Code: CodeGTINShared,
			Message: fmt.Sprintf("%d more rows carry a GTIN another supplier offers.", more)})
	}
	return nil
}

// stagedRow is where a staged SKU is in the file, and its GTIN.
type stagedRow struct {
	RowNumber int
	SKU, GTIN string
}

// stagedRowsOf finds the staged rows of skus, by SKU.
func stagedRowsOf(tx *gorm.DB, skus []string) (map[string]stagedRow, error) {
	out := make(map[string]stagedRow, len(skus))
	for start := 0; start < len(skus); start += 500 {
		var rows []stagedRow
		if err := tx.Raw("SELECT row_number, sku, gtin FROM staged_rows WHERE sku IN ?", skus[start:min(start+500, len(skus))]).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, x := range rows {
			out[x.SKU] = x
		}
	}
	return out, nil
}

func (r *run) warnDisputed(tx *gorm.DB, disputed []offers.Disputed) error {
	if len(disputed) == 0 {
		return nil
	}
	shown := disputed[:min(len(disputed), maxDisputeWarnings)]
	skus := make([]string, len(shown))
	for i, d := range shown {
		skus[i] = d.SKU
	}
	staged, err := stagedRowsOf(tx, skus)
	if err != nil {
		return err
	}
	rowOf := make(map[string]int, len(staged))
	for sku, x := range staged {
		rowOf[sku] = x.RowNumber
	}
	for _, d := range shown {
		r.batch.Warnings = append(r.batch.Warnings, Warning{Code: CodeGTINDisputed, Row: rowOf[d.SKU], SKU: d.SKU,
			// Which fields differ is for the category manager, who sees both
			// sides: told to the uploader, one dry run of many guesses read
			// another supplier's data field by field (found by a hostile
			// supplier's trial).
			Message: fmt.Sprintf("Row %d (SKU %s): another supplier offers GTIN %s with a different brand, model, category or security data. This offer is blocked in every market until a category manager resolves the dispute.",
				rowOf[d.SKU], d.SKU, d.GTIN),
			Hint: "Check the row against the manufacturer's data and upload it again corrected; if your data is right, ask the category manager to accept it."})
	}
	if more := len(disputed) - len(shown); more > 0 {
		r.batch.Warnings = append(r.batch.Warnings, Warning{Code: CodeGTINDisputed,
			Message: fmt.Sprintf("%d more rows carry a GTIN another supplier offers with different data; your product list shows every blocked offer.", more)})
	}
	return nil
}

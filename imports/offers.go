package imports

import (
	"context"
	"fmt"
	"strings"

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

// reconcileOffers judges the offers this upload wrote, and the disputed
// ones it carries, against other suppliers' offers of the same GTINs
// (catalog/offers), and warns about each row whose offer is disputed,
// without naming who disagrees. It takes the verdicts lock first: two
// suppliers' uploads of one GTIN are judged one after the other, and the
// dispute's audit entry comes after the lock, in the documented order.
// sharedGTINs finds the products of the file's rows whose offers need
// reconciling: the supplier's disputed ones (by products_disputed), and the
// ones this batch wrote whose GTIN another supplier offers. The second part
// is driven by the file's rows, each row's GTIN probed in products_gtin
// first, so that only the rows with a hit look their product up: probing
// every row's product first (0.15-0.26 s for a first import of 100,000
// rows) cost more than the whole check now does. A product this batch
// wrote has its staged row's GTIN, copied as it is (writeProducts). CROSS
// JOIN keeps SQLite from scanning all the supplier's products instead.
const sharedGTINs = `SELECT p.id FROM products p
	WHERE p.supplier_id = ? AND p.disputed AND p.sku IN (SELECT sku FROM staged_rows)
	UNION
	SELECT p.id FROM staged_rows s CROSS JOIN products p
	WHERE EXISTS (SELECT 1 FROM products o WHERE o.gtin = s.gtin AND o.supplier_id <> ?)
		AND p.supplier_id = ? AND p.sku = s.sku AND p.batch_id = ?
	ORDER BY 1`

func (r *run) reconcileOffers(ctx context.Context, tx *gorm.DB) error {
	if err := database.Lock(tx, database.LockVerdicts); err != nil {
		return err
	}
	if r.im.beforeReconcile != nil {
		r.im.beforeReconcile()
	}
	var ids []int64
	err := tx.Raw(sharedGTINs, r.batch.SupplierID, r.batch.SupplierID, r.batch.SupplierID, r.batch.ID).Scan(&ids).Error
	if err != nil {
		return fmt.Errorf("find shared GTINs: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	out, err := offers.Reconcile(ctx, tx, r.batch.SupplierID, r.batch.ID, ids)
	if err != nil {
		return err
	}
	return r.warnDisputed(tx, out.Disputed)
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
	rowOf := make(map[string]int, len(skus))
	for start := 0; start < len(skus); start += 500 {
		var rows []struct {
			RowNumber int
			SKU       string
		}
		if err := tx.Raw("SELECT row_number, sku FROM staged_rows WHERE sku IN ?", skus[start:min(start+500, len(skus))]).Scan(&rows).Error; err != nil {
			return err
		}
		for _, x := range rows {
			rowOf[x.SKU] = x.RowNumber
		}
	}
	for _, d := range shown {
		r.batch.Warnings = append(r.batch.Warnings, Warning{Code: CodeGTINDisputed, Row: rowOf[d.SKU], SKU: d.SKU,
			Message: fmt.Sprintf("Row %d (SKU %s): another supplier offers GTIN %s with different %s. This offer is blocked in every market until a category manager resolves the dispute.",
				rowOf[d.SKU], d.SKU, d.GTIN, strings.Join(d.Differences, ", ")),
			Hint: "Check the row against the manufacturer's data and upload it again corrected; if your data is right, ask the category manager to accept it."})
	}
	if more := len(disputed) - len(shown); more > 0 {
		r.batch.Warnings = append(r.batch.Warnings, Warning{Code: CodeGTINDisputed,
			Message: fmt.Sprintf("%d more rows carry a GTIN another supplier offers with different data; your product list shows every blocked offer.", more)})
	}
	return nil
}

package verdicts

import (
	"context"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog"
)

// productColumns are the columns of a product that evaluation, the
// listings and the impact report read: not extra (up to
// imports.MaxExtraBytes a product, which no verdict reads) and not the
// timestamps (no rule reads them).
const productColumns = "id, supplier_id, sku, gtin, brand, model, match_key, name, category, markets, password_model, " +
	"vuln_report_contact, support_end, support_end_declared, statement_of_compliance, ce_marking, hardware_version, " +
	"firmware_version, price, currency, content_hash, batch_id, disputed"

// loadProducts reads the products the caller may see that where selects,
// in id order, with their label claims. It scans the rows by hand: through
// gorm's reflection and its Preload, reading the products cost as much as
// evaluating them (issue #18's profile: a third of a no-change run).
func loadProducts(ctx context.Context, db *gorm.DB, where func(*gorm.DB) *gorm.DB) ([]catalog.Product, error) {
	q := db.WithContext(ctx).Table("products").Scopes(database.SupplierScope(ctx, "supplier_id")).Select(productColumns)
	rows, err := where(q).Order("id").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Product
	for rows.Next() {
		var p catalog.Product
		if err := rows.Scan(&p.ID, &p.SupplierID, &p.SKU, &p.GTIN, &p.Brand, &p.Model, &p.MatchKey, &p.Name, &p.Category, &p.Markets,
			&p.PasswordModel, &p.VulnReportContact, &p.SupportEnd, &p.SupportEndDeclared, &p.StatementOfCompliance, &p.CEMarking,
			&p.HardwareVersion, &p.FirmwareVersion, &p.Price, &p.Currency, &p.ContentHash, &p.BatchID, &p.Disputed); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, attachLabels(ctx, db, out)
}

// attachLabels reads the label claims of products (in id order) into them,
// in the order of the claims' unique key (product, scheme, label key): the
// order SQLite's Preload returned them in, so a verdict's evidence lists
// its labels as before and an unchanged verdict fingerprints the same.
func attachLabels(ctx context.Context, db *gorm.DB, products []catalog.Product) error {
	if len(products) == 0 {
		return nil
	}
	ids := make([]int64, len(products))
	at := make(map[int64]int, len(products))
	for i, p := range products {
		ids[i], at[p.ID] = p.ID, i
	}
	rows, err := ofProducts(db.WithContext(ctx).Table("label_claims").Select("id, product_id, scheme, label_id, label_key"), "product_id", ids).
		Order("product_id, scheme, label_key").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l catalog.LabelClaim
		if err := rows.Scan(&l.ID, &l.ProductID, &l.Scheme, &l.LabelID, &l.LabelKey); err != nil {
			return err
		}
		if i, ok := at[l.ProductID]; ok { // a range reads the products between those asked for too
			products[i].Labels = append(products[i].Labels, l)
		}
	}
	return rows.Err()
}

// ofProducts restricts q to the rows whose column is one of ids. A page of
// products is read in id order, most often every product in a range of
// ids: then it is a range condition, which the database answers with one
// index range scan, rather than a list of a thousand values, which it
// looks up one by one (and gorm and the driver format and bind one by one:
// the workers' reads of stored verdicts alone were 1.15 s of CPU in a first
// evaluation of 1M verdicts, issue #18). The range may hold rows of
// products not in ids, which the caller skips.
func ofProducts(q *gorm.DB, column string, ids []int64) *gorm.DB {
	if len(ids) > 1 && denseAscending(ids) {
		return q.Where(column+" BETWEEN ? AND ?", ids[0], ids[len(ids)-1])
	}
	return q.Where(column+" IN ?", ids)
}

// denseAscending reports whether ids ascend and span at most twice as many
// ids as they are, so a range reads at most twice the rows asked for.
func denseAscending(ids []int64) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			return false
		}
	}
	return ids[len(ids)-1]-ids[0] < 2*int64(len(ids))
}

package offers

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/catalog"
)

// Disputed is an offer of the upload that stays or became disputed: the
// uploading supplier is told, without being told who disagrees.
type Disputed struct {
	ProductID   int64
	SKU, GTIN   string
	Differences []string // the agreement fields the other offers say otherwise
	Opened      bool     // this upload opened the dispute
}

// Outcome is what reconciling an upload's offers did.
type Outcome struct {
	Disputed []Disputed
	Changed  []int64 // products whose disputed standing changed: their verdicts must follow
}

// Reconcile judges an upload's offers against the other suppliers' offers
// of the same GTINs, inside the upload's own transaction tx, which must
// hold database.LockVerdicts (so two suppliers' uploads of one GTIN are
// judged one after the other). ids are the uploading supplier's products
// the upload wrote, or that it carries and that are disputed now.
//
// An offer that agrees with one undisputed offer of another supplier, or
// that no undisputed offer of another supplier contradicts, is undisputed;
// a dispute it had is closed as agreed. An offer that contradicts them is
// disputed: a dispute is opened unless one is open or rejected already, or
// a category manager accepted this very data. Only the uploader's products
// are ever changed.
func Reconcile(ctx context.Context, tx *gorm.DB, supplierID, batchID int64, ids []int64) (Outcome, error) {
	var out Outcome
	for start := 0; start < len(ids); start += 500 {
		if err := reconcilePage(ctx, tx, supplierID, batchID, ids[start:min(start+500, len(ids))], &out); err != nil {
			return out, err
		}
	}
	return out, nil
}

func reconcilePage(ctx context.Context, tx *gorm.DB, supplierID, batchID int64, ids []int64, out *Outcome) error {
	tx = tx.WithContext(ctx)
	var own []catalog.Product
	if err := tx.Preload("Labels").Where("id IN ? AND supplier_id = ?", ids, supplierID).Order("id").Find(&own).Error; err != nil {
		return fmt.Errorf("read the upload's offers: %w", err)
	}
	gtins := make([]string, len(own))
	for i, p := range own {
		gtins[i] = p.GTIN
	}
	var others []catalog.Product
	if err := tx.Preload("Labels").Where("gtin IN ? AND supplier_id <> ? AND NOT disputed", gtins, supplierID).Find(&others).Error; err != nil {
		return fmt.Errorf("read other suppliers' offers: %w", err)
	}
	byGTIN := map[string][]*catalog.Product{}
	for i := range others {
		byGTIN[others[i].GTIN] = append(byGTIN[others[i].GTIN], &others[i])
	}
	latest, err := latestDisputes(tx, ids)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	for i := range own {
		p := &own[i]
		diff, agrees := judge(p, byGTIN[p.GTIN])
		last, hadDispute := latest[p.ID]
		switch {
		case agrees && p.Disputed:
			if err := closeAsAgreed(ctx, tx, p, last, batchID, now); err != nil {
				return err
			}
			out.Changed = append(out.Changed, p.ID)
		case agrees:
		case p.Disputed:
			out.Disputed = append(out.Disputed, Disputed{ProductID: p.ID, SKU: p.SKU, GTIN: p.GTIN, Differences: diff})
		case hadDispute && last.Status == StatusAccepted && last.OfferKey == Key(p):
			// A category manager accepted exactly this data.
		default:
			if err := open(ctx, tx, p, batchID, diff, now); err != nil {
				return err
			}
			out.Changed = append(out.Changed, p.ID)
			out.Disputed = append(out.Disputed, Disputed{ProductID: p.ID, SKU: p.SKU, GTIN: p.GTIN, Differences: diff, Opened: true})
		}
	}
	return nil
}

// judge compares an offer with the undisputed offers of other suppliers:
// it agrees when there are none or it agrees with one of them; otherwise
// diff lists the fields in which it differs from the first.
func judge(p *catalog.Product, others []*catalog.Product) (diff []string, agrees bool) {
	if len(others) == 0 {
		return nil, true
	}
	for _, o := range others {
		d := Differences(p, o)
		if len(d) == 0 {
			return nil, true
		}
		if diff == nil {
			diff = d
		}
	}
	return diff, false
}

func open(ctx context.Context, tx *gorm.DB, p *catalog.Product, batchID int64, diff []string, now time.Time) error {
	d := record{GTIN: p.GTIN, ProductID: p.ID, SupplierID: p.SupplierID, BatchID: &batchID, OfferKey: Key(p), Status: StatusOpen, OpenedAt: now}
	if err := tx.Create(&d).Error; err != nil {
		return fmt.Errorf("open a dispute: %w", err)
	}
	if err := setDisputed(tx, p.ID, true, batchID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "dispute.open", "gtin_dispute", d.ID, map[string]any{
		"gtin": p.GTIN, "product_id": p.ID, "supplier_id": p.SupplierID, "batch_id": batchID, "differences": diff})
}

// closeAsAgreed ends the dispute of an offer an upload made agree: an open
// dispute counts as accepted, a rejected one stays rejected; either way
// the offer is judged on its own data again.
func closeAsAgreed(ctx context.Context, tx *gorm.DB, p *catalog.Product, last record, batchID int64, now time.Time) error {
	if last.ID != 0 {
		updates := map[string]any{"resolution": ResolutionAgreed}
		if last.Status == StatusOpen {
			updates["status"], updates["decided_at"] = StatusAccepted, now
		}
		if err := tx.Model(&record{}).Where("id = ?", last.ID).Updates(updates).Error; err != nil {
			return fmt.Errorf("close a dispute: %w", err)
		}
	}
	if err := setDisputed(tx, p.ID, false, batchID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, "dispute.agreed", "gtin_dispute", last.ID, map[string]any{
		"gtin": p.GTIN, "product_id": p.ID, "supplier_id": p.SupplierID})
}

// setDisputed changes an offer's standing. batchID, when given, marks the
// product as changed by that upload, so the upload's re-evaluation takes it
// even if the row itself was unchanged.
func setDisputed(tx *gorm.DB, productID int64, disputed bool, batchID int64) error {
	updates := map[string]any{"disputed": disputed}
	if batchID != 0 {
		updates["batch_id"] = batchID
	}
	if err := tx.Table("products").Where("id = ?", productID).Updates(updates).Error; err != nil {
		return fmt.Errorf("mark the offer: %w", err)
	}
	return nil
}

// latestDisputes returns each product's most recent dispute.
func latestDisputes(tx *gorm.DB, ids []int64) (map[int64]record, error) {
	var rows []record
	if err := tx.Where("product_id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read disputes: %w", err)
	}
	out := make(map[int64]record, len(rows))
	for _, r := range rows {
		out[r.ProductID] = r
	}
	return out, nil
}

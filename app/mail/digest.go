package mail

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
)

// Digest is what changed for one supplier since its last digest.
type Digest struct {
	Supplier     string
	Since, Until time.Time
	Rejected     []RejectedUpload // uploads that finished in the period with rejected rows
	NewlyBlocked []Blocked        // products that became blocked in a market and channel
	Upcoming     []UpcomingBlock  // blocks that will start, with their dates and fixes
	Horizon      int              // days ahead Upcoming looks
}

// Empty reports whether there is nothing new to tell: no rejected rows, no
// newly blocked product, and no upcoming block that came within the horizon
// during the period. No mail is sent then; a digest that is sent lists every
// upcoming block, as a reminder.
func (d Digest) Empty() bool {
	if len(d.Rejected) > 0 || len(d.NewlyBlocked) > 0 {
		return false
	}
	for _, u := range d.Upcoming {
		if civil.Of(d.Since).Before(u.On.AddDays(-d.Horizon)) {
			return false
		}
	}
	return true
}

// RejectedUpload is one upload with rejected rows, and the first of them.
type RejectedUpload struct {
	BatchID  int64
	FileName string
	Rejected int
	Rows     []RejectedRow `gorm:"-"` // at most maxRowsPerUpload; the fix workbook has them all
}

// RejectedRow is a rejected row of an upload.
type RejectedRow struct {
	Row               int
	SKU, Column, Code string
	Hint              string
}

// Blocked is a product newly blocked in one market and channel.
type Blocked struct {
	SKU, GTIN       string
	Market, Channel string
	Codes           []string
	Supplier        string // for category managers' summaries
}

// UpcomingBlock is a block that will start on a date unless fixed.
type UpcomingBlock struct {
	SKU, GTIN       string
	Supplier        string
	Market, Channel string
	On              civil.Date // the first day blocked
	Code, Fix       string
}

// maxRowsPerUpload bounds the rejected rows a digest lists per upload.
const maxRowsPerUpload = 10

// UpcomingFunc finds the blocks that will start for a supplier's products
// (every supplier's when supplierID is 0) between today and horizon.
type UpcomingFunc func(ctx context.Context, db *gorm.DB, supplierID int64, today, horizon civil.Date) ([]UpcomingBlock, error)

// Digests builds digests and summaries from the database.
type Digests struct {
	db *gorm.DB
	// Upcoming is where upcoming blocks come from: the verdicts' outlooks
	// (UpcomingFromOutlooks); tests may put their own.
	Upcoming UpcomingFunc
	Horizon  int // days ahead an upcoming block is told of
}

// NewDigests returns Digests on db that look 90 days ahead.
func NewDigests(db *gorm.DB) *Digests {
	return &Digests{db: db, Upcoming: UpcomingFromOutlooks, Horizon: 90}
}

// Supplier builds what changed for a supplier between since and until:
// its uploads' rejected rows, its products newly blocked (and still
// blocked), and its upcoming blocks as of until.
func (d *Digests) Supplier(ctx context.Context, supplierID int64, since, until time.Time) (Digest, error) {
	out := Digest{Since: since, Until: until, Horizon: d.Horizon}
	db := d.db.WithContext(ctx)
	if err := db.Table("suppliers").Where("id = ?", supplierID).Pluck("name", &out.Supplier).Error; err != nil {
		return out, err
	}
	var batches []RejectedUpload
	err := db.Table("import_batches").Select("id AS batch_id, file_name, rows_rejected AS rejected").
		Where("supplier_id = ? AND status = 'committed' AND rows_rejected > 0 AND finished_at > ? AND finished_at <= ?", supplierID, since, until).
		Order("id").Scan(&batches).Error
	if err != nil {
		return out, err
	}
	for i := range batches {
		err := db.Table("import_row_errors").Select("row_number AS row, sku, column_name AS column, code, hint").
			Where("batch_id = ?", batches[i].BatchID).Order("row_number, id").Limit(maxRowsPerUpload).Scan(&batches[i].Rows).Error
		if err != nil {
			return out, err
		}
	}
	out.Rejected = batches
	if out.NewlyBlocked, err = d.newlyBlocked(ctx, supplierID, since, until); err != nil {
		return out, err
	}
	today := civil.Of(until)
	if out.Upcoming, err = d.Upcoming(ctx, d.db, supplierID, today, today.AddDays(d.Horizon)); err != nil {
		return out, err
	}
	return out, nil
}

// newlyBlocked reads the change feed: verdicts that became blocked in the
// period and are blocked still (a product blocked then fixed is not news).
func (d *Digests) newlyBlocked(ctx context.Context, supplierID int64, since, until time.Time) ([]Blocked, error) {
	var rows []struct {
		SKU, GTIN, Supplier, Market, Channel, Codes string
	}
	q := d.db.WithContext(ctx).Table("verdict_changes c").
		Select("DISTINCT p.sku, p.gtin, s.name AS supplier, c.market, c.channel, v.codes").
		Joins("JOIN products p ON p.id = c.product_id").Joins("JOIN suppliers s ON s.id = p.supplier_id").
		Joins("JOIN verdicts v ON v.product_id = c.product_id AND v.market = c.market AND v.channel = c.channel").
		Where("c.verdict = 'blocked' AND c.previous <> 'blocked' AND v.verdict = 'blocked' AND c.changed_at > ? AND c.changed_at <= ?", since, until).
		Order("s.name, p.sku, c.market, c.channel")
	if supplierID > 0 {
		q = q.Where("p.supplier_id = ?", supplierID)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Blocked, len(rows))
	for i, r := range rows {
		out[i] = Blocked{SKU: r.SKU, GTIN: r.GTIN, Supplier: r.Supplier, Market: r.Market, Channel: r.Channel, Codes: strings.Fields(r.Codes)}
	}
	return out, nil
}

// Summary is a category manager's weekly summary of the catalogue.
type Summary struct {
	Since, Until time.Time
	Imports      int // uploads committed in the period
	RowsRejected int
	NewlyBlocked []Blocked
	OpenDisputes int
	Upcoming     []UpcomingBlock
}

// Summary builds the summary of the period for category managers.
func (d *Digests) Summary(ctx context.Context, since, until time.Time) (Summary, error) {
	out := Summary{Since: since, Until: until}
	db := d.db.WithContext(ctx)
	var agg struct{ Imports, Rejected int }
	err := db.Table("import_batches").Select("COUNT(*) AS imports, COALESCE(SUM(rows_rejected), 0) AS rejected").
		Where("status = 'committed' AND finished_at > ? AND finished_at <= ?", since, until).Scan(&agg).Error
	if err != nil {
		return out, err
	}
	out.Imports, out.RowsRejected = agg.Imports, agg.Rejected
	var open int64
	if err := db.Table("gtin_disputes").Where("status = 'open'").Count(&open).Error; err != nil {
		return out, err
	}
	out.OpenDisputes = int(open)
	if out.NewlyBlocked, err = d.newlyBlocked(ctx, 0, since, until); err != nil {
		return out, err
	}
	today := civil.Of(until)
	if out.Upcoming, err = d.Upcoming(ctx, d.db, 0, today, today.AddDays(d.Horizon)); err != nil {
		return out, err
	}
	return out, nil
}

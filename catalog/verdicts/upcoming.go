package verdicts

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Upcoming is a verdict allowed today that will turn blocked on a date its
// inputs name (SPEC §7, notice before a block): the support end, a
// label's expiry, a rule taking effect.
type Upcoming struct {
	ProductID  int64      `json:"product_id"`
	SupplierID int64      `json:"supplier_id"`
	Supplier   string     `json:"supplier"`
	SKU        string     `json:"sku"`
	GTIN       string     `json:"gtin"`
	Market     string     `json:"market"`
	Channel    string     `json:"channel"`
	BlocksOn   civil.Date `json:"blocks_on"`
	Codes      []string   `json:"codes"` // the reasons that will block it
}

// UpcomingFilter narrows the upcoming blocks.
type UpcomingFilter struct {
	WithinDays int    // blocks on or before today + WithinDays; 0: MaxWithinDays
	Month      string // YYYY-MM: blocks in that month only
	Code       string // a reason that will block it, any case
	Market     string
	Channel    string
	SupplierID int64
	Offset     int // skip this many (a page's position)
	Limit      int // at most this many; 0: every one
}

// MaxWithinDays bounds how far ahead upcoming blocks are listed: as far as
// the outlook of the default policy looks.
const MaxWithinDays = policy.DefaultOutlookDays

// ParseWithin reads a notice period such as 90d (days; 1 to MaxWithinDays).
func ParseWithin(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "d"))
	if err != nil || !strings.HasSuffix(strings.TrimSpace(s), "d") || n < 1 || n > MaxWithinDays {
		return 0, errs.Invalidf("INVALID_WITHIN", "within must be a number of days such as 90d, 1d to %dd", MaxWithinDays).
			WithDetails([]errs.FieldError{{Field: "within", Message: "a number of days such as 90d"}})
	}
	return n, nil
}

// UpcomingBlocks lists the stored verdicts the caller may see that are
// allowed today and will turn blocked within f.WithinDays (and in f.Month,
// for f.Code, when set), soonest first. Suppliers see their own; category
// managers and admins every supplier's.
func (s *Service) UpcomingBlocks(ctx context.Context, f UpcomingFilter) ([]Upcoming, error) {
	q, err := s.upcomingQuery(ctx, f)
	if err != nil {
		return nil, err
	}
	q = q.Select("v.product_id, p.supplier_id, s.name AS supplier, p.sku, p.gtin, v.market, v.channel, v.blocks_on, v.block_codes").
		Joins("JOIN suppliers s ON s.id = p.supplier_id").
		Order("v.blocks_on, p.supplier_id, p.sku, v.market, v.channel")
	if f.Limit > 0 {
		q = q.Order("v.id").Offset(max(f.Offset, 0)).Limit(f.Limit)
	}
	var rows []struct {
		ProductID, SupplierID     int64
		Supplier, SKU, GTIN       string
		Market, Channel, BlocksOn string
		BlockCodes                string
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Upcoming, 0, len(rows))
	for _, r := range rows {
		on, err := civil.Parse(r.BlocksOn)
		if err != nil {
			return nil, err
		}
		out = append(out, Upcoming{ProductID: r.ProductID, SupplierID: r.SupplierID, Supplier: r.Supplier, SKU: r.SKU, GTIN: r.GTIN,
			Market: r.Market, Channel: r.Channel, BlocksOn: on, Codes: strings.Fields(r.BlockCodes)})
	}
	return out, nil
}

// CountUpcomingBlocks is the number of verdicts UpcomingBlocks lists for f
// without its Offset and Limit: a page's true total.
func (s *Service) CountUpcomingBlocks(ctx context.Context, f UpcomingFilter) (int64, error) {
	q, err := s.upcomingQuery(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int64
	return n, q.Count(&n).Error
}

// upcomingQuery checks the caller and f, and selects from "verdicts v JOIN
// products p" the verdicts f picks that the caller may see: the one
// selection behind the list, its total and the calendar.
func (s *Service) upcomingQuery(ctx context.Context, f UpcomingFilter) (*gorm.DB, error) {
	if _, err := access.Require(ctx, access.Admin, access.CategoryManager, access.Supplier); err != nil {
		return nil, err
	}
	if f.Market = strings.ToUpper(f.Market); f.Market != "" && !catalog.IsMarket(f.Market) {
		return nil, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", f.Market)
	}
	if f.Channel = strings.ToLower(f.Channel); f.Channel != "" && f.Channel != "retail" && f.Channel != "procurement" {
		return nil, errs.Invalidf("UNKNOWN_CHANNEL", "channel must be retail or procurement")
	}
	if f.Code = strings.ToUpper(strings.TrimSpace(f.Code)); f.Code != "" && !codePattern.MatchString(f.Code) {
		return nil, errs.Invalidf("UNKNOWN_REASON", "%q is not a reason code", f.Code)
	}
	if f.Month != "" && !monthPattern.MatchString(f.Month) {
		return nil, errs.Invalidf("INVALID_MONTH", "month must be a month such as 2027-01")
	}
	if f.WithinDays < 0 || f.WithinDays > MaxWithinDays {
		return nil, errs.Invalidf("INVALID_WITHIN", "within must be 1 to %d days", MaxWithinDays)
	}
	if f.WithinDays == 0 {
		f.WithinDays = MaxWithinDays
	}
	today := civil.Of(s.now())
	q := s.db.WithContext(ctx).Table("verdicts v").
		Joins("JOIN products p ON p.id = v.product_id").
		Scopes(database.SupplierScope(ctx, "p.supplier_id")).
		Where("v.verdict = ? AND v.blocks_on IS NOT NULL AND v.blocks_on > ? AND v.blocks_on <= ?", policy.Allowed, today.String(), today.AddDays(f.WithinDays).String())
	if f.Month != "" {
		q = q.Where("v.blocks_on >= ? AND v.blocks_on < ?", f.Month+"-01", nextMonth(f.Month)+"-01")
	}
	if f.Code != "" {
		q = q.Where(`(' ' || v.block_codes || ' ') LIKE ? ESCAPE '\'`, "% "+database.EscapeLike(f.Code)+" %")
	}
	if f.Market != "" {
		q = q.Where("v.market = ?", f.Market)
	}
	if f.Channel != "" {
		q = q.Where("v.channel = ?", f.Channel)
	}
	if f.SupplierID > 0 {
		q = q.Where("p.supplier_id = ?", f.SupplierID)
	}
	return q, nil
}

// UpcomingCSVHeader is the header of the upcoming blocks as CSV.
var UpcomingCSVHeader = []string{"blocks_on", "supplier", "sku", "gtin", "market", "channel", "codes"}

// WriteUpcomingCSV writes upcoming blocks as CSV, one verdict a row, the
// reasons space-separated. Supplier text never becomes a formula.
func WriteUpcomingCSV(w io.Writer, list []Upcoming) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(UpcomingCSVHeader)
	for _, u := range list {
		cells := []string{u.BlocksOn.String(), u.Supplier, u.SKU, u.GTIN, u.Market, u.Channel, strings.Join(u.Codes, " ")}
		for i := range cells {
			cells[i] = tabular.SafeText(cells[i])
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

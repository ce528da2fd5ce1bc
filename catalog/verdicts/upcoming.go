package verdicts

import (
	"context"
	"strconv"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
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
	WithinDays int // blocks on or before today + WithinDays
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
// allowed today and will turn blocked within f.WithinDays, soonest first.
// Suppliers see their own; category managers and admins every supplier's.
func (s *Service) UpcomingBlocks(ctx context.Context, f UpcomingFilter) ([]Upcoming, error) {
	if _, err := access.Require(ctx, access.Admin, access.CategoryManager, access.Supplier); err != nil {
		return nil, err
	}
	if f.Market = strings.ToUpper(f.Market); f.Market != "" && !catalog.IsMarket(f.Market) {
		return nil, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", f.Market)
	}
	if f.Channel = strings.ToLower(f.Channel); f.Channel != "" && f.Channel != "retail" && f.Channel != "procurement" {
		return nil, errs.Invalidf("UNKNOWN_CHANNEL", "channel must be retail or procurement")
	}
	today := civil.Of(s.now())
	q := s.db.WithContext(ctx).Table("verdicts v").
		Select("v.product_id, p.supplier_id, s.name AS supplier, p.sku, p.gtin, v.market, v.channel, v.blocks_on, v.block_codes").
		Joins("JOIN products p ON p.id = v.product_id").Joins("JOIN suppliers s ON s.id = p.supplier_id").
		Scopes(database.SupplierScope(ctx, "p.supplier_id")).
		Where("v.verdict = ? AND v.blocks_on IS NOT NULL AND v.blocks_on > ? AND v.blocks_on <= ?", policy.Allowed, today.String(), today.AddDays(f.WithinDays).String()).
		Order("v.blocks_on, p.supplier_id, p.sku, v.market, v.channel")
	if f.Market != "" {
		q = q.Where("v.market = ?", f.Market)
	}
	if f.Channel != "" {
		q = q.Where("v.channel = ?", f.Channel)
	}
	if f.SupplierID > 0 {
		q = q.Where("p.supplier_id = ?", f.SupplierID)
	}
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

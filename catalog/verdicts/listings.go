package verdicts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Listing is one product a retailer may list in a market.
type Listing struct {
	Supplier   string `json:"supplier"`
	SKU        string `json:"sku"`
	GTIN       string `json:"gtin"`
	Brand      string `json:"brand"`
	Model      string `json:"model"`
	Name       string `json:"name"`
	Category   string `json:"category"`
	SupportEnd string `json:"support_end"`
	Price      string `json:"price"`
	Currency   string `json:"currency"`
	Warnings   string `json:"warnings"` // codes of the warnings the verdict carries
	AsOf       string `json:"as_of"`
	Cursor     int64  `json:"-"` // where a page that ends with this listing resumes
}

var listingHeader = []string{"supplier", "sku", "gtin", "brand", "model", "name", "category", "support_end", "price", "currency", "warnings", "as_of"}

func (l Listing) cells() []string {
	return []string{l.Supplier, l.SKU, l.GTIN, l.Brand, l.Model, l.Name, l.Category, l.SupportEnd, l.Price, l.Currency, l.Warnings, l.AsOf}
}

// Listings streams the allowed products of a market and channel, from the
// stored verdicts: only what the gate allows ever reaches a listing feed.
func (s *Service) Listings(ctx context.Context, market, channel string, fn func(Listing) error) error {
	return s.ListingsAfter(ctx, market, channel, 0, fn)
}

// ListingsAfter is Listings resuming after the listing whose Cursor is after.
func (s *Service) ListingsAfter(ctx context.Context, market, channel string, after int64, fn func(Listing) error) error {
	if _, err := access.From(ctx); err != nil {
		return err
	}
	market, channel, err := ListingScope(market, channel)
	if err != nil {
		return err
	}
	gtinAllowed, gtinScope, err := gtinAllowedWhere(ctx, market, channel)
	if err != nil {
		return err
	}
	const page = 2000
	for {
		var rows []struct {
			ID         int64
			Supplier   string
			SKU        string
			GTIN       string
			Brand      string
			Model      string
			Name       string
			Category   string
			SupportEnd *string
			Price      string
			Currency   string
			Reasons    string
			AsOf       string
		}
		err := s.db.WithContext(ctx).Table("verdicts v").
			Select("v.id, s.name AS supplier, p.sku, p.gtin, p.brand, p.model, p.name, p.category, p.support_end, p.price, p.currency, v.reasons, v.as_of").
			Joins("JOIN products p ON p.id = v.product_id").Joins("JOIN suppliers s ON s.id = p.supplier_id").
			Scopes(database.SupplierScope(ctx, "p.supplier_id")).
			Where("v.market = ? AND v.channel = ? AND v.verdict = ? AND v.id > ? AND NOT p.disputed", market, channel, policy.Allowed, after).
			Where(gtinAllowed, gtinScope...).
			Order("v.id").Limit(page).Find(&rows).Error
		if err != nil {
			return err
		}
		for _, r := range rows {
			var reasons []policy.Reason
			_ = json.Unmarshal([]byte(r.Reasons), &reasons)
			var warns []string
			for _, x := range reasons {
				if x.Severity == policy.Warn {
					warns = append(warns, x.Code)
				}
			}
			l := Listing{Supplier: r.Supplier, SKU: r.SKU, GTIN: r.GTIN, Brand: r.Brand, Model: r.Model, Name: r.Name, Category: r.Category,
				Price: r.Price, Currency: r.Currency, Warnings: strings.Join(warns, " "), AsOf: r.AsOf, Cursor: r.ID}
			if r.SupportEnd != nil {
				l.SupportEnd = *r.SupportEnd
			}
			if err := fn(l); err != nil {
				return err
			}
		}
		if len(rows) < page {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// gtinAllowedWhere is the condition that keeps the feed and the gate in
// step: an allowed offer is listed only while no other undisputed offer of
// its GTIN in the same market and channel is blocked, which is when the
// gate, asked without a supplier, allows the GTIN. Like the gate, it
// considers only the offers the caller may see.
//
// The other offers are found by GTIN first and their verdict by its unique
// key (products_gtin, then verdicts' own key): correlating the verdicts by
// market and channel instead lets SQLite scan the market's verdicts for
// every row listed.
func gtinAllowedWhere(ctx context.Context, market, channel string) (string, []any, error) {
	p, err := access.From(ctx)
	if err != nil {
		return "", nil, err
	}
	cond := `NOT EXISTS (SELECT 1 FROM products o WHERE o.gtin = p.gtin AND o.id <> p.id AND NOT o.disputed%s
		AND EXISTS (SELECT 1 FROM verdicts ov WHERE ov.product_id = o.id AND ov.market = ? AND ov.channel = ? AND ov.verdict <> ?))`
	if p.Role == access.Supplier {
		return fmt.Sprintf(cond, " AND o.supplier_id = ?"), []any{p.SupplierID, market, channel, policy.Allowed}, nil
	}
	return fmt.Sprintf(cond, ""), []any{market, channel, policy.Allowed}, nil
}

// ListingScope checks and normalises a listing feed's market and channel
// (retail when empty).
func ListingScope(market, channel string) (string, string, error) {
	market, channel = strings.ToUpper(market), strings.ToLower(channel)
	if !catalog.IsMarket(market) {
		return market, channel, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", market)
	}
	if channel == "" {
		channel = "retail"
	}
	if channel != "retail" && channel != "procurement" {
		return market, channel, errs.Invalidf("UNKNOWN_CHANNEL", "channel must be retail or procurement")
	}
	return market, channel, nil
}

// Listing feed formats.
var ListingFormats = []string{"csv", "xlsx", "json"}

// WriteListings writes the listing feed of a market and channel to w as CSV,
// XLSX or JSON, a row at a time. Supplier text never becomes a formula: CSV
// cells are neutralised, XLSX cells are written as strings.
func (s *Service) WriteListings(ctx context.Context, w io.Writer, market, channel, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(listingHeader)
		err := s.Listings(ctx, market, channel, func(l Listing) error {
			cells := l.cells()
			for i := range cells {
				cells[i] = tabular.SafeText(cells[i])
			}
			return cw.Write(cells)
		})
		if err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	case "json":
		if _, err := io.WriteString(w, `{"listings":[`); err != nil {
			return err
		}
		first := true
		err := s.Listings(ctx, market, channel, func(l Listing) error {
			if !first {
				if _, err := io.WriteString(w, ","); err != nil {
					return err
				}
			}
			first = false
			b, err := json.Marshal(l)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		})
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, "]}\n")
		return err
	case "xlsx":
		wb := tabular.NewWorkbook()
		defer wb.Close()
		sheet, err := wb.AddStreamSheet("Listings " + strings.ToUpper(market))
		if err != nil {
			return err
		}
		if err := sheet.WriteRow(listingHeader); err != nil {
			return err
		}
		if err := s.Listings(ctx, market, channel, func(l Listing) error { return sheet.WriteRow(l.cells()) }); err != nil {
			return err
		}
		_, err = wb.WriteTo(w)
		return err
	}
	return errs.Invalidf("INVALID_FORMAT", "format must be one of %s", strings.Join(ListingFormats, ", "))
}

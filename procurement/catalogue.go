package procurement

import (
	"context"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// CatalogueQuery narrows the procurement catalogue.
type CatalogueQuery struct {
	Market string
	All    bool    // also the products that are not eligible, with why
	Query  string  // text in the name, brand, model, SKU, GTIN or supplier's name
	After  []int64 // resume after the item of this Cursor (nil: from the start)
}

// CatalogueItem is a product as a buyer shops for it: its procurement
// verdict, what it is, who sells it and at what price.
type CatalogueItem struct {
	verdicts.Row
	SupplierID int64  `json:"supplier_id"`
	Name       string `json:"name"`
	Brand      string `json:"brand"`
	Model      string `json:"model"`
	Price      string `json:"price"`    // the supplier's unit price, "" when it sent none
	Currency   string `json:"currency"` // ISO 4217, with Price
}

// catalogueBatch is how many verdicts are matched to their products at once.
const catalogueBatch = 500

// Catalogue lists the products buyers may order in a market: their
// procurement verdicts, allowed only unless q.All. It is procurement's
// (SPEC §1: the buyer browses it): buyers, approvers and admins may read
// it, through the API and the page alike; category managers search the
// same verdicts in their own product search.
func (s *Service) Catalogue(ctx context.Context, q CatalogueQuery, fn func(CatalogueItem) error) error {
	if _, err := access.Require(ctx, readers...); err != nil {
		return err
	}
	f := verdicts.Filter{Market: strings.ToUpper(q.Market), Channel: "procurement", Query: q.Query, After: q.After}
	if _, _, err := verdicts.ListingScope(f.Market, f.Channel); err != nil {
		return err
	}
	if !q.All {
		f.Verdict = "allowed"
	}
	// Buyers may see every product: they are read as the system, a batch at a time.
	sys := access.With(ctx, access.System("procurement"))
	var batch []verdicts.Row
	flush := func() error {
		ids := make([]int64, len(batch))
		for i, r := range batch {
			ids[i] = r.ProductID
		}
		products, err := s.products.ProductsByID(sys, ids)
		if err != nil {
			return err
		}
		for _, r := range batch {
			p, ok := products[r.ProductID]
			if !ok {
				continue
			}
			if err := fn(CatalogueItem{Row: r, SupplierID: p.SupplierID, Name: p.Name, Brand: p.Brand, Model: p.Model, Price: p.Price, Currency: p.Currency}); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	err := s.verdicts.List(ctx, f, func(r verdicts.Row) error {
		if batch = append(batch, r); len(batch) == catalogueBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

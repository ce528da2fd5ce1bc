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
	Query  string  // text in the SKU, the GTIN or the supplier's name
	After  []int64 // resume after the row of this Cursor (nil: from the start)
}

// Catalogue lists the products buyers may order in a market: their
// procurement verdicts, allowed only unless q.All. It is procurement's
// (SPEC §1: the buyer browses it): buyers, approvers and admins may read
// it, through the API and the page alike; category managers search the
// same verdicts in their own product search.
func (s *Service) Catalogue(ctx context.Context, q CatalogueQuery, fn func(verdicts.Row) error) error {
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
	return s.verdicts.List(ctx, f, fn)
}

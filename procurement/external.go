package procurement

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// ExternalOrder is a purchase order raised in another system (an
// e-procurement suite) that asks the gate before it is issued.
type ExternalOrder struct {
	Market string
	Lines  []NewLine // GTIN, or SupplierID and SKU; Quantity; DeliveryDate
}

// LineDecision is the gate's answer for one line of an external order.
type LineDecision struct {
	Line     int             `json:"line"`
	Decision string          `json:"decision"` // allowed, blocked or waived
	GTIN     string          `json:"gtin,omitempty"`
	SKU      string          `json:"sku,omitempty"`
	Supplier int64           `json:"supplier_id,omitempty"`
	Reasons  []policy.Reason `json:"reasons"`
	WaiverID *int64          `json:"waiver_id,omitempty"`
}

// maxExternalLines bounds one check, as an order's lines are bounded by a body.
const maxExternalLines = 5000

// CheckExternal runs the procurement gate on an order from another system,
// line by line, as it runs on Cascade's own orders at submission: each
// product's procurement verdict in the market at the line's delivery date,
// then the caller's organisation's approved waivers. Nothing is stored but
// an audit entry of the question and the answer. A line whose product
// cannot be named for sure (no such GTIN, several suppliers and none
// chosen) is blocked with that reason: the gate fails closed per line.
func (s *Service) CheckExternal(ctx context.Context, x ExternalOrder) ([]LineDecision, error) {
	p, err := access.Require(ctx, access.Buyer, access.Approver, access.Admin)
	if err != nil {
		return nil, err
	}
	x.Market = strings.ToUpper(strings.TrimSpace(x.Market))
	if !catalog.IsMarket(x.Market) {
		return nil, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", x.Market)
	}
	switch {
	case len(x.Lines) == 0:
		return nil, errs.Invalidf("EMPTY_ORDER", "the order has no lines")
	case len(x.Lines) > maxExternalLines:
		return nil, errs.E(errs.TooLarge, "TOO_MANY_LINES", "at most %d lines are checked at once; this order has %d", maxExternalLines, len(x.Lines))
	}
	for i := range x.Lines {
		n := &x.Lines[i]
		n.Currency, n.UnitPrice = "", "" // prices stay in the other system
		if err := s.validateLine(n); err != nil {
			return nil, lineError(i+1, err)
		}
	}
	o := Order{Organisation: p.Organisation, Market: x.Market}
	out := make([]LineDecision, len(x.Lines))
	for i, n := range x.Lines {
		out[i] = LineDecision{Line: i + 1, Decision: LineBlocked, GTIN: n.GTIN, SKU: n.SKU, Supplier: n.SupplierID}
		id, err := s.resolve(ctx, n)
		if e, ok := errs.As(err); ok && e.Kind != errs.Internal && e.Kind != errs.Unavailable {
			out[i].Reasons = []policy.Reason{{Code: e.Code, Severity: policy.Block, Message: e.Message, Fix: unresolvedFix[e.Code]}}
			continue
		} else if err != nil {
			return nil, err
		}
		products, err := s.products.ProductsByID(access.With(ctx, access.System("procurement-gate")), []int64{id})
		if err != nil {
			return nil, err
		}
		product := products[id]
		o.Lines = append(o.Lines, Line{LineNo: i + 1, ProductID: id, Quantity: n.Quantity, DeliveryDate: n.DeliveryDate, Product: &product})
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		checks, err := s.check(ctx, tx, o)
		if err != nil {
			return err
		}
		for _, c := range checks {
			d := &out[c.LineNo-1]
			d.Decision, d.Reasons, d.WaiverID, d.GTIN, d.SKU = c.Verdict, c.Reasons, c.WaiverID, c.GTIN, c.SKU
			d.Supplier = o.lineProduct(c.LineNo).SupplierID
			if d.Reasons == nil {
				d.Reasons = []policy.Reason{} // an allowed line has none: [], as documented, not null
			}
		}
		summary := map[string]int{}
		for _, d := range out {
			summary[d.Decision]++
		}
		return audit.Record(ctx, tx, "procurement.check", "external_order", "", map[string]any{
			"market": x.Market, "organisation": p.Organisation, "lines": len(out), "decisions": summary})
	})
	return out, err
}

// unresolvedFix says what to do about a line whose product was not found.
var unresolvedFix = map[string]string{
	"UNKNOWN_PRODUCT":   "Check the GTIN, or ask the supplier to list the product in Cascade.",
	"AMBIGUOUS_PRODUCT": "Several suppliers offer this GTIN: give the supplier_id of the one you buy from.",
	"INVALID_GTIN":      "Give the GTIN-8, -12, -13 or -14 printed on the product, check digit included.",
	"MISSING_PRODUCT":   "Name the product by gtin, or by supplier_id and sku.",
}

func (o Order) lineProduct(lineNo int) *catalog.Product {
	for _, l := range o.Lines {
		if l.LineNo == lineNo {
			return l.Product
		}
	}
	return &catalog.Product{}
}

// lineError names the line a validation error is about.
func lineError(line int, err error) error {
	e, ok := errs.As(err)
	if !ok {
		return err
	}
	return errs.E(e.Kind, e.Code, "line %d: %s", line, e.Message).WithDetails(map[string]any{"line": line, "fields": e.Details})
}

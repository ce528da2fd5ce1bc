package procurement

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
)

// Line gate outcomes.
const (
	LineAllowed = "allowed"
	LineBlocked = "blocked"
	LineWaived  = "waived" // blocked, but an approved waiver covers every blocking code
)

// LineCheck is the gate's decision on one line.
type LineCheck struct {
	LineNo   int             `json:"line_no"`
	SKU      string          `json:"sku,omitempty"`
	GTIN     string          `json:"gtin,omitempty"`
	Verdict  string          `json:"verdict"`
	Codes    []string        `json:"blocking_codes,omitempty"`
	Reasons  []policy.Reason `json:"reasons"`
	WaiverID *int64          `json:"waiver_id,omitempty"`
	evidence policy.Evidence
	policyID int64
	waiver   *Waiver
}

// check runs the procurement gate on every line of an order: the product's
// procurement verdict for the order's market as of the line's delivery date
// (a forecast, not today's verdict), then the organisation's waivers.
func (s *Service) check(ctx context.Context, tx *gorm.DB, o Order) ([]LineCheck, error) {
	var waivers []Waiver
	if err := tx.Where("organisation = ? AND market = ? AND status = ?", o.Organisation, o.Market, WaiverApproved).Find(&waivers).Error; err != nil {
		return nil, err
	}
	// The gate reads as the system: a buyer may buy a product whatever role sees it.
	eval, err := s.verdicts.NewEvaluator(access.With(ctx, access.System("procurement-gate")))
	if err != nil {
		return nil, err
	}
	out := make([]LineCheck, 0, len(o.Lines))
	for _, l := range o.Lines {
		if l.Product == nil {
			return nil, errs.E(errs.Conflict, "PRODUCT_GONE", "line %d's product no longer exists: remove the line", l.LineNo)
		}
		v := eval.Decide(l.Product, o.Market, "procurement", l.DeliveryDate)
		c := LineCheck{LineNo: l.LineNo, Verdict: LineAllowed, Reasons: v.Reasons, evidence: v.Evidence, policyID: eval.PolicyID()}
		if l.Product != nil {
			c.SKU, c.GTIN = l.Product.SKU, l.Product.GTIN
		}
		if v.Verdict == policy.Blocked {
			c.Verdict, c.Codes = LineBlocked, v.BlockingCodes()
			for _, w := range waivers {
				if w.Covers(l.Product, o.Market, c.Codes, l.DeliveryDate) && !w.ExpiresOn.Before(s.today()) {
					c.Verdict, c.WaiverID, c.waiver = LineWaived, &w.ID, &w // w is this iteration's own copy
					break
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// record stores each line's gate decision and its evidence, and with
// approved, what each line is approved on.
func record(tx *gorm.DB, o Order, checks []LineCheck, approved bool) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var snaps []Approval
	if approved {
		var err error
		if snaps, err = approvals(tx, o, checks, now); err != nil {
			return err
		}
	}
	for i, c := range checks {
		reasons, _ := json.Marshal(c.Reasons)
		evidence, _ := json.Marshal(c.evidence)
		var policyID any
		if c.policyID != 0 {
			policyID = c.policyID
		}
		values := map[string]any{
			"gate_verdict": c.Verdict, "gate_reasons": string(reasons), "gate_evidence": string(evidence),
			"waiver_id": c.WaiverID, "policy_id": policyID, "checked_at": now,
		}
		if approved {
			snap, err := json.Marshal(snaps[i])
			if err != nil {
				return err
			}
			values["approved_snapshot"] = string(snap)
		}
		err := tx.Model(&Line{}).Where("id = ? AND approved_snapshot IS NULL", o.Lines[i].ID).Updates(values).Error
		if err != nil {
			return err
		}
	}
	return nil
}

func blocked(checks []LineCheck) []LineCheck {
	var out []LineCheck
	for _, c := range checks {
		if c.Verdict == LineBlocked {
			out = append(out, c)
		}
	}
	return out
}

// errBlocked lists every blocked line with its codes and fix hints.
func errBlocked(lines []LineCheck) error {
	return errs.E(errs.Conflict, "ORDER_BLOCKED", "%d line(s) fail the procurement gate at their delivery date: fix or replace them, or get a waiver", len(lines)).
		WithDetails(map[string]any{"blocked_lines": lines})
}

// Check runs the gate on an order without changing it, for buyers to see
// which lines would block.
func (s *Service) Check(ctx context.Context, orderID int64) ([]LineCheck, error) {
	o, err := s.Order(ctx, orderID)
	if err != nil {
		return nil, err
	}
	return s.check(ctx, s.db.WithContext(ctx), o)
}

// Submit sends a draft order for approval. With any blocked line it is
// refused, every blocked line is returned, and the order stays a draft.
func (s *Service) Submit(ctx context.Context, orderID int64, version int) (Order, error) {
	p, err := access.Require(ctx, access.Buyer)
	if err != nil {
		return Order{}, err
	}
	return s.gateAndMove(ctx, p, orderID, version, []string{Draft}, "order.submit", func(o *Order, now time.Time) {
		o.Status, o.SubmittedBy, o.SubmittedAt = Submitted, &p.UserID, &now
	})
}

// Approve approves a submitted order. The gate runs again now (time of
// use): a product delisted since submission blocks the approval.
func (s *Service) Approve(ctx context.Context, orderID int64, version int, note string) (Order, error) {
	p, err := access.Require(ctx, access.Approver)
	if err != nil {
		return Order{}, err
	}
	return s.gateAndMove(ctx, p, orderID, version, []string{Submitted}, "order.approve", func(o *Order, now time.Time) {
		o.Status, o.DecidedBy, o.DecidedAt, o.DecisionNote = Approved, &p.UserID, &now, note
	})
}

// Reject sends a submitted order back, refused, with a note.
func (s *Service) Reject(ctx context.Context, orderID int64, version int, note string) (Order, error) {
	p, err := access.Require(ctx, access.Approver)
	if err != nil {
		return Order{}, err
	}
	return s.change(ctx, p, orderID, version, []string{Submitted}, "order.reject", func(tx *gorm.DB, o *Order) error {
		now := time.Now().UTC()
		o.Status, o.DecidedBy, o.DecidedAt, o.DecisionNote = Rejected, &p.UserID, &now, note
		return nil
	}, map[string]any{"note": note})
}

// gateAndMove checks every line and moves the order only if none is blocked.
// The order is locked and its version and state checked before anything
// else; then the line decisions are stored either way, so blocked lines
// show inline, and an approval captures what each line is approved on.
func (s *Service) gateAndMove(ctx context.Context, p access.Principal, orderID int64, version int, states []string, action string, move func(*Order, time.Time)) (Order, error) {
	var out Order
	var refused error
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := lockOrder(tx, p, orderID, version, states)
		if err != nil {
			return err
		}
		o, err := s.load(ctx, tx, p, orderID)
		if err != nil {
			return err
		}
		if len(o.Lines) == 0 {
			return errs.Invalidf("EMPTY_ORDER", "the order has no lines")
		}
		checks, err := s.check(ctx, tx, o)
		if err != nil {
			return err
		}
		if bad := blocked(checks); len(bad) > 0 {
			// Stored and audited, the order unmoved: the caller gets ORDER_BLOCKED after the commit.
			refused = errBlocked(bad)
			if err := record(tx, o, checks, false); err != nil {
				return err
			}
			return audit.Record(ctx, tx, action+".blocked", "purchase_order", o.ID, map[string]any{"version": version, "blocked_lines": bad})
		}
		move(&cur, time.Now().UTC())
		if err := record(tx, o, checks, cur.Status == Approved); err != nil {
			return err
		}
		out, err = s.commit(ctx, tx, p, cur, version, action, map[string]any{"lines": checks})
		return err
	})
	if err == nil && refused != nil {
		return Order{}, refused
	}
	return out, err
}

package procurement

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
)

// Waiver statuses.
const (
	WaiverRequested = "requested"
	WaiverApproved  = "approved"
	WaiverRefused   = "refused"
)

// Waiver lets an organisation buy one product in one market despite the
// blocking codes it names, until it expires. Modelled on the CIO waivers
// of the US IoT Cybersecurity Improvement Act: justified, decided by a
// second person, narrow.
type Waiver struct {
	ID            int64      `json:"id"`
	Organisation  string     `json:"organisation"`
	ProductID     int64      `json:"product_id"`
	Market        string     `json:"market"`
	Codes         string     `json:"codes"` // the blocking codes it covers, space-separated
	Justification string     `json:"justification"`
	Status        string     `json:"status"`
	RequestedBy   int64      `json:"requested_by"`
	RequestedAt   time.Time  `json:"requested_at"`
	DecidedBy     *int64     `json:"decided_by,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	DecisionNote  string     `json:"decision_note,omitempty"`
	ExpiresOn     civil.Date `json:"expires_on"`
}

// TableName is the waivers table.
func (Waiver) TableName() string { return "waivers" }

// Covers reports whether the waiver allows the product in the market for
// every one of codes on day.
func (w Waiver) Covers(productID int64, market string, codes []string, day civil.Date) bool {
	if w.Status != WaiverApproved || w.ProductID != productID || w.Market != market || w.ExpiresOn.Before(day) {
		return false
	}
	covered := strings.Fields(w.Codes)
	for _, c := range codes {
		if !slices.Contains(covered, c) {
			return false
		}
	}
	return true
}

// NewWaiver is a buyer's request. The product is named by id, or like an
// order line's by GTIN (with SupplierID when several suppliers offer it).
type NewWaiver struct {
	ProductID     int64
	GTIN          string
	SupplierID    int64
	Market        string
	Codes         []string
	Justification string
	ExpiresOn     civil.Date
}

// MaxWaiverDays bounds how long a waiver may last.
const MaxWaiverDays = 366

// RequestWaiver asks for a waiver for the buyer's organisation.
func (s *Service) RequestWaiver(ctx context.Context, n NewWaiver) (Waiver, error) {
	p, err := access.Require(ctx, access.Buyer)
	if err != nil {
		return Waiver{}, err
	}
	n.Market = strings.ToUpper(n.Market)
	var codes []string
	for _, c := range n.Codes {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	today := s.today()
	switch {
	case !catalog.IsMarket(n.Market):
		return Waiver{}, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code", n.Market)
	case len(codes) == 0:
		return Waiver{}, errs.Invalidf("MISSING_CODES", "name the blocking codes the waiver is for: it covers those and nothing else")
	case len(strings.TrimSpace(n.Justification)) < 20:
		return Waiver{}, errs.Invalidf("MISSING_JUSTIFICATION", "justify the waiver (at least 20 characters): why this product, why no compliant alternative")
	case n.ExpiresOn.IsZero() || n.ExpiresOn.Before(today) || n.ExpiresOn.After(today.AddDays(MaxWaiverDays)):
		return Waiver{}, errs.Invalidf("INVALID_EXPIRY", "a waiver expires between today and %d days from now", MaxWaiverDays)
	}
	if n.ProductID == 0 {
		// Resolved as the buyer, as an order line's GTIN is.
		if n.ProductID, err = s.resolve(ctx, NewLine{GTIN: n.GTIN, SupplierID: n.SupplierID}); err != nil {
			return Waiver{}, err
		}
	}
	if _, err := s.products.Product(ctx, n.ProductID); err != nil {
		return Waiver{}, err
	}
	w := Waiver{Organisation: p.Organisation, ProductID: n.ProductID, Market: n.Market, Codes: strings.Join(codes, " "),
		Justification: strings.TrimSpace(n.Justification), Status: WaiverRequested, RequestedBy: p.UserID, RequestedAt: time.Now().UTC(), ExpiresOn: n.ExpiresOn}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&w).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "waiver.request", "waiver", w.ID, map[string]any{
			"product_id": w.ProductID, "market": w.Market, "codes": w.Codes, "expires_on": w.ExpiresOn, "justification": w.Justification})
	})
	return w, err
}

// DecideWaiver approves or refuses a requested waiver. Only an approver of
// the same organisation who did not request it may; approving may shorten
// the expiry.
func (s *Service) DecideWaiver(ctx context.Context, id int64, approve bool, note string, expiresOn civil.Date) (Waiver, error) {
	p, err := access.Require(ctx, access.Approver)
	if err != nil {
		return Waiver{}, err
	}
	var w Waiver
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Scopes(orgScope(p)).First(&w, id).Error; err != nil {
			return database.Translate(err, "waiver")
		}
		switch {
		case w.RequestedBy == p.UserID:
			return errs.E(errs.Forbidden, "OWN_WAIVER", "nobody decides their own waiver request: another approver must")
		case w.Status != WaiverRequested:
			return errs.E(errs.Conflict, "WAIVER_DECIDED", "the waiver was already %s", w.Status)
		case approve && !expiresOn.IsZero() && (expiresOn.After(w.ExpiresOn) || expiresOn.Before(s.today())):
			return errs.Invalidf("INVALID_EXPIRY", "an approver may shorten the requested expiry (%s), not extend it", w.ExpiresOn)
		}
		now := time.Now().UTC()
		w.Status, w.DecidedBy, w.DecidedAt, w.DecisionNote = WaiverRefused, &p.UserID, &now, strings.TrimSpace(note)
		if approve {
			w.Status = WaiverApproved
			if !expiresOn.IsZero() {
				w.ExpiresOn = expiresOn
			}
		}
		res := tx.Model(&Waiver{}).Where("id = ? AND status = ?", w.ID, WaiverRequested).Updates(map[string]any{
			"status": w.Status, "decided_by": p.UserID, "decided_at": now, "decision_note": w.DecisionNote, "expires_on": w.ExpiresOn})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.E(errs.Conflict, "WAIVER_DECIDED", "the waiver was decided by someone else meanwhile")
		}
		return audit.Record(ctx, tx, "waiver."+w.Status, "waiver", w.ID, map[string]any{"note": w.DecisionNote, "expires_on": w.ExpiresOn})
	})
	return w, err
}

// Waivers lists the organisation's waivers, newest first.
func (s *Service) Waivers(ctx context.Context) ([]Waiver, error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return nil, err
	}
	var out []Waiver
	err = s.db.WithContext(ctx).Scopes(orgScope(p)).Order("id DESC").Limit(500).Find(&out).Error
	return out, err
}

// Waiver returns one of the organisation's waivers.
func (s *Service) Waiver(ctx context.Context, id int64) (Waiver, error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return Waiver{}, err
	}
	var w Waiver
	err = s.db.WithContext(ctx).Scopes(orgScope(p)).First(&w, id).Error
	return w, database.Translate(err, "waiver")
}

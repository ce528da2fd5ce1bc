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
	// The product as it was requested for (brand, model and name; its
	// GTIN): the waiver covers the product only while its GTIN, brand and
	// model are still these, whatever a later upload makes of its SKU.
	Product  string `json:"product,omitempty"`
	GTIN     string `json:"gtin,omitempty"`
	MatchKey string `json:"-"`
	// Who asked and decided, by name.
	RequesterName string `json:"requested_by_name,omitempty" gorm:"-"`
	DeciderName   string `json:"decided_by_name,omitempty" gorm:"-"`
}

// TableName is the waivers table.
func (Waiver) TableName() string { return "waivers" }

// Covers reports whether the waiver allows the product in the market for
// every one of codes on day: the product it was requested for, still the
// same GTIN, brand and model.
func (w Waiver) Covers(p *catalog.Product, market string, codes []string, day civil.Date) bool {
	if w.Status != WaiverApproved || !w.IsFor(p) || w.Market != market || w.ExpiresOn.Before(day) {
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

// Names reports whether the waiver names every one of codes: a request
// that does not would leave the line blocked even once approved.
func (w Waiver) Names(codes []string) bool {
	named := strings.Fields(w.Codes)
	for _, c := range codes {
		if !slices.Contains(named, c) {
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
		return Waiver{}, fieldError(errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code", n.Market), "market")
	case len(codes) == 0:
		return Waiver{}, fieldError(errs.Invalidf("MISSING_CODES", "name the blocking codes the waiver is for: it covers those and nothing else"), "codes")
	case len(strings.TrimSpace(n.Justification)) < 20:
		return Waiver{}, fieldError(errs.Invalidf("MISSING_JUSTIFICATION", "justify the waiver (at least 20 characters): why this product, why no compliant alternative"), "justification")
	case n.ExpiresOn.IsZero() || n.ExpiresOn.Before(today) || n.ExpiresOn.After(today.AddDays(MaxWaiverDays)):
		return Waiver{}, fieldError(errs.Invalidf("INVALID_EXPIRY", "a waiver expires between today (%s) and %d days from now (%s)", today, MaxWaiverDays, today.AddDays(MaxWaiverDays)), "expires_on")
	}
	if n.ProductID == 0 {
		// Resolved as the buyer, as an order line's GTIN is.
		if n.ProductID, err = s.resolve(ctx, NewLine{GTIN: n.GTIN, SupplierID: n.SupplierID}); err != nil {
			return Waiver{}, fieldError(err, "gtin")
		}
	}
	product, err := s.products.Product(ctx, n.ProductID)
	if err != nil {
		return Waiver{}, err
	}
	w := Waiver{Organisation: p.Organisation, ProductID: n.ProductID, Market: n.Market, Codes: strings.Join(codes, " "),
		Product: productName(product.Brand, product.Model, product.Name), GTIN: product.GTIN, MatchKey: product.MatchKey,
		Justification: strings.TrimSpace(n.Justification), Status: WaiverRequested, RequestedBy: p.UserID, RequestedAt: time.Now().UTC(), ExpiresOn: n.ExpiresOn}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&w).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "waiver.request", "waiver", w.ID, map[string]any{
			"product_id": w.ProductID, "product": w.Product, "gtin": w.GTIN, "market": w.Market, "codes": w.Codes, "expires_on": w.ExpiresOn, "justification": w.Justification})
	})
	return w, err
}

// MaxNoteLength bounds a decision's note or reason.
const MaxNoteLength = 1000

// DecideWaiver approves or refuses a requested waiver. Only an approver of
// the same organisation who did not request it may; approving may shorten
// the expiry; refusing needs a reason, which the buyer reads.
func (s *Service) DecideWaiver(ctx context.Context, id int64, approve bool, note string, expiresOn civil.Date) (Waiver, error) {
	p, err := access.Require(ctx, access.Approver)
	if err != nil {
		return Waiver{}, err
	}
	note = strings.TrimSpace(note)
	switch {
	case len(note) > MaxNoteLength:
		return Waiver{}, fieldError(errs.Invalidf("NOTE_TOO_LONG", "the note is %d characters; at most %d", len(note), MaxNoteLength), "note")
	case !approve && note == "":
		return Waiver{}, fieldError(errs.Invalidf("MISSING_REASON", "say why the waiver is refused: the buyer reads it"), "note")
	}
	var w Waiver
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Scopes(orgScope(p)).First(&w, id).Error; err != nil {
			return database.Translate(err, "waiver")
		}
		still := true
		if approve {
			var err error
			if still, err = s.stillFor(ctx, w); err != nil {
				return err
			}
		}
		switch {
		case w.RequestedBy == p.UserID:
			return errs.E(errs.Forbidden, "OWN_WAIVER", "nobody decides their own waiver request: another approver must")
		case w.Status != WaiverRequested:
			return errs.E(errs.Conflict, "WAIVER_DECIDED", "the waiver was already %s", w.Status)
		case approve && !still:
			return errs.E(errs.Conflict, "PRODUCT_CHANGED", "the product's GTIN, brand or model changed since this waiver was requested "+
				"(it was for %s, %s): refuse it; the buyer asks again for the product as it is now", w.Product, w.GTIN)
		case approve && !ShortensExpiry(w.ExpiresOn, expiresOn, s.today()):
			return fieldError(errs.Invalidf("INVALID_EXPIRY", "an approver may shorten the requested expiry (%s) to a day from today (%s), not extend it", w.ExpiresOn, s.today()), "expires_on")
		}
		now := time.Now().UTC()
		w.Status, w.DecidedBy, w.DecidedAt, w.DecisionNote = WaiverRefused, &p.UserID, &now, note
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
	if err != nil {
		return w, err
	}
	list, err := s.named(ctx, []Waiver{w})
	return list[0], err
}

// stillFor reports whether w's product is still the one it was requested
// for (read as the system: the approver may see every product).
func (s *Service) stillFor(ctx context.Context, w Waiver) (bool, error) {
	p, err := s.products.Product(access.With(ctx, access.System("procurement")), w.ProductID)
	if errs.KindOf(err) == errs.NotFound {
		return false, nil
	}
	return err == nil && w.IsFor(&p), err
}

// ShortensExpiry reports whether an approver may set a waiver requested
// until requested to expire on proposed instead: no day at all keeps the
// requested one; otherwise a day from today up to the requested one, never later.
func ShortensExpiry(requested, proposed, today civil.Date) bool {
	return proposed.IsZero() || (!proposed.After(requested) && !proposed.Before(today))
}

// Waivers lists the organisation's waivers, newest first.
func (s *Service) Waivers(ctx context.Context) ([]Waiver, error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return nil, err
	}
	var out []Waiver
	if err := s.db.WithContext(ctx).Scopes(orgScope(p)).Order("id DESC").Limit(500).Find(&out).Error; err != nil {
		return nil, err
	}
	return s.named(ctx, out)
}

// Waiver returns one of the organisation's waivers.
func (s *Service) Waiver(ctx context.Context, id int64) (Waiver, error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return Waiver{}, err
	}
	var w Waiver
	if err := s.db.WithContext(ctx).Scopes(orgScope(p)).First(&w, id).Error; err != nil {
		return w, database.Translate(err, "waiver")
	}
	list, err := s.named(ctx, []Waiver{w})
	return list[0], err
}

// PendingWaivers are the organisation's requested, undecided waivers for
// the products on an order, in its market, by product, oldest first: the
// order's lines show them, so nobody requests the same waiver twice.
func (s *Service) PendingWaivers(ctx context.Context, o Order) (map[int64][]Waiver, error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(o.Lines))
	for _, l := range o.Lines {
		ids = append(ids, l.ProductID)
	}
	out := map[int64][]Waiver{}
	if len(ids) == 0 {
		return out, nil
	}
	var list []Waiver
	err = s.db.WithContext(ctx).Scopes(orgScope(p)).Where("organisation = ? AND market = ? AND status = ? AND product_id IN ?", o.Organisation, o.Market, WaiverRequested, ids).
		Order("id").Find(&list).Error
	if err != nil {
		return nil, err
	}
	if list, err = s.named(ctx, list); err != nil {
		return nil, err
	}
	lineProducts := map[int64]*catalog.Product{}
	for _, l := range o.Lines {
		lineProducts[l.ProductID] = l.Product
	}
	for _, w := range list {
		if p := lineProducts[w.ProductID]; p != nil && !w.IsFor(p) {
			continue // asked for what the product's SKU was before
		}
		out[w.ProductID] = append(out[w.ProductID], w)
	}
	return out, nil
}

// IsFor reports whether the waiver was requested for p as it is: the same
// product, GTIN, brand and model.
func (w Waiver) IsFor(p *catalog.Product) bool {
	return w.ProductID == p.ID && w.GTIN == p.GTIN && w.MatchKey == p.MatchKey
}

// named fills in the waivers' people by name, and the product's name of
// a waiver stored before waivers kept it (as the product is now). Products
// and users are read as the system: a buyer may see every product, and
// the names of the people of their own organisation.
func (s *Service) named(ctx context.Context, list []Waiver) ([]Waiver, error) {
	if len(list) == 0 {
		return list, nil
	}
	var products, people []int64
	for _, w := range list {
		products = append(products, w.ProductID)
		people = append(people, w.RequestedBy)
		if w.DecidedBy != nil {
			people = append(people, *w.DecidedBy)
		}
	}
	byID, err := s.products.ProductsByID(access.With(ctx, access.System("procurement")), products)
	if err != nil {
		return nil, err
	}
	names, err := s.userNames(ctx, people)
	if err != nil {
		return nil, err
	}
	for i := range list {
		w := &list[i]
		if p, ok := byID[w.ProductID]; ok && w.Product == "" {
			w.Product = productName(p.Brand, p.Model, p.Name)
		}
		w.RequesterName = names[w.RequestedBy]
		if w.DecidedBy != nil {
			w.DeciderName = names[*w.DecidedBy]
		}
	}
	return list, nil
}

// productName is how a person names a product: brand and model, then what it is.
func productName(brand, model, name string) string {
	out := strings.TrimSpace(brand + " " + model)
	if name = strings.TrimSpace(name); name != "" {
		if out != "" {
			out += ", "
		}
		out += name
	}
	return out
}

// userNames names people by id: their name and e-mail, or the e-mail alone.
func (s *Service) userNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	var rows []struct {
		ID          int64
		Email, Name string
	}
	if err := s.db.WithContext(ctx).Table("users").Select("id, email, name").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Email
		if n := strings.TrimSpace(r.Name); n != "" {
			out[r.ID] = n + " <" + r.Email + ">"
		}
	}
	return out, nil
}

// fieldError names the form field an error is about, unless it names some already.
func fieldError(err error, field string) error {
	e, ok := errs.As(err)
	if !ok || e.Details != nil {
		return err
	}
	return e.WithDetails([]errs.FieldError{{Field: field, Message: e.Message}})
}

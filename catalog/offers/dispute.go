package offers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// Dispute statuses.
const (
	StatusOpen     = "open"
	StatusAccepted = "accepted" // the offer is judged on its own data
	StatusRejected = "rejected" // the offer stays blocked until an upload makes it agree
)

// ResolutionAgreed marks a dispute an upload ended by making the offer agree.
const ResolutionAgreed = "agreed"

// record is a dispute as stored.
type record struct {
	ID         int64
	GTIN       string `gorm:"column:gtin"`
	ProductID  int64
	SupplierID int64
	BatchID    *int64
	OfferKey   string
	Status     string
	Resolution string
	OpenedAt   time.Time
	DecidedBy  *int64
	DecidedAt  *time.Time
	Note       string
}

func (record) TableName() string { return "gtin_disputes" }

// Dispute is one disputed offer with the other suppliers' offers of its
// GTIN beside it, as category managers decide it.
type Dispute struct {
	ID           int64      `json:"id"`
	GTIN         string     `json:"gtin"`
	Status       string     `json:"status"`               // open, accepted or rejected
	Resolution   string     `json:"resolution,omitempty"` // agreed: an upload made the offer agree
	OfferBlocked bool       `json:"offer_blocked"`        // the offer is blocked with GTIN_DISPUTED now
	OpenedAt     time.Time  `json:"opened_at"`
	BatchID      *int64     `json:"batch_id,omitempty"`
	DecidedBy    *int64     `json:"decided_by,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	Note         string     `json:"note,omitempty"`
	Offer        Side       `json:"offer"`  // the disputed offer
	Others       []Side     `json:"others"` // the other suppliers' offers of the GTIN, as they are now
}

// Side is one supplier's offer as a dispute shows it.
type Side struct {
	ProductID             int64    `json:"product_id"`
	SupplierID            int64    `json:"supplier_id"`
	Supplier              string   `json:"supplier"`
	SKU                   string   `json:"sku"`
	Brand                 string   `json:"brand"`
	Model                 string   `json:"model"`
	Name                  string   `json:"name"`
	Category              string   `json:"category"`
	PasswordModel         string   `json:"password_model"`
	VulnReportContact     string   `json:"vuln_report_contact"`
	SupportEnd            string   `json:"support_end"`
	StatementOfCompliance string   `json:"statement_of_compliance"`
	CEMarking             string   `json:"ce_marking"`
	Labels                []string `json:"labels"`
	Disputed              bool     `json:"disputed"`
	Differences           []string `json:"differences,omitempty"` // fields in which it differs from the disputed offer
}

// deciders are the roles that see and decide disputes.
var deciders = []access.Role{access.Admin, access.CategoryManager}

// Filter narrows the dispute queue.
type Filter struct {
	Status  string // "" for every status
	GTIN    string
	AfterID int64
	Limit   int
}

// Service reads and decides disputes.
type Service struct{ db *gorm.DB }

// NewService returns a Service on db.
func NewService(db *gorm.DB) *Service { return &Service{db: db} }

// List returns disputes, oldest first, with both sides.
func (s *Service) List(ctx context.Context, f Filter) ([]Dispute, error) {
	q, err := s.filtered(ctx, f)
	if err != nil {
		return nil, err
	}
	if f.AfterID > 0 {
		q = q.Where("id > ?", f.AfterID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var rows []record
	if err := q.Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	return s.withSides(ctx, s.db, rows)
}

// Page is one page of the disputes f selects, oldest first, with both sides
// (f's AfterID and Limit are the page request's).
func (s *Service) Page(ctx context.Context, f Filter, r database.PageRequest) (database.Page[Dispute], error) {
	q, err := s.filtered(ctx, f)
	if err != nil {
		return database.Page[Dispute]{}, err
	}
	p, err := database.Paginate(q, r, database.ByID, func(x record) []int64 { return []int64{x.ID} })
	if err != nil {
		return database.Page[Dispute]{}, err
	}
	items, err := s.withSides(ctx, s.db, p.Items)
	return database.Page[Dispute]{Items: items, Next: p.Next, Total: p.Total, HasTotal: p.HasTotal}, err
}

func (s *Service) filtered(ctx context.Context, f Filter) (*gorm.DB, error) {
	if _, err := access.Require(ctx, deciders...); err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Model(&record{})
	switch f.Status {
	case "":
	case StatusOpen, StatusAccepted, StatusRejected:
		q = q.Where("status = ?", f.Status)
	default:
		return nil, errs.Invalidf("UNKNOWN_STATUS", "status must be open, accepted or rejected")
	}
	if f.GTIN != "" {
		g, ok := catalog.NormaliseGTIN(f.GTIN)
		if !ok {
			return nil, errs.Invalidf("INVALID_GTIN", "%q is not a GTIN", f.GTIN)
		}
		q = q.Where("gtin = ?", g)
	}
	return q, nil
}

// Get returns one dispute with both sides.
func (s *Service) Get(ctx context.Context, id int64) (Dispute, error) {
	if _, err := access.Require(ctx, deciders...); err != nil {
		return Dispute{}, err
	}
	return s.get(ctx, s.db, id)
}

func (s *Service) get(ctx context.Context, db *gorm.DB, id int64) (Dispute, error) {
	var r record
	if err := db.WithContext(ctx).First(&r, id).Error; err != nil {
		return Dispute{}, database.Translate(err, "dispute")
	}
	out, err := s.withSides(ctx, db, []record{r})
	if err != nil {
		return Dispute{}, err
	}
	return out[0], nil
}

// Accept lets a disputed offer be judged on its own data, like any offer.
func (s *Service) Accept(ctx context.Context, id int64, note string) (Dispute, error) {
	return s.decide(ctx, id, note, StatusAccepted, []string{StatusOpen, StatusRejected}, false)
}

// Reject keeps the offer blocked with GTIN_DISPUTED until an upload of its
// supplier makes it agree with the other offers.
func (s *Service) Reject(ctx context.Context, id int64, note string) (Dispute, error) {
	return s.decide(ctx, id, note, StatusRejected, []string{StatusOpen, StatusAccepted}, true)
}

// decide moves a dispute to status and the offer's standing with it, and
// re-evaluates the offer, all in one transaction under the verdicts lock
// (an upload of the same supplier reconciles under it too). Only the
// offer's latest dispute can be decided, and not once an upload ended it.
func (s *Service) decide(ctx context.Context, id int64, note, status string, from []string, disputed bool) (Dispute, error) {
	p, err := access.Require(ctx, deciders...)
	if err != nil {
		return Dispute{}, err
	}
	note = strings.TrimSpace(note)
	if len(note) > 2000 {
		return Dispute{}, errs.Invalidf("NOTE_TOO_LONG", "the note has %d characters; at most 2,000 are kept", len(note))
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := database.Lock(tx, database.LockVerdicts); err != nil {
			return err
		}
		var r record
		if err := tx.First(&r, id).Error; err != nil {
			return database.Translate(err, "dispute")
		}
		latest, err := latestDisputes(tx, []int64{r.ProductID})
		if err != nil {
			return err
		}
		switch {
		case r.Resolution == ResolutionAgreed:
			return errs.E(errs.Conflict, "DISPUTE_CLOSED", "the supplier's upload already made this offer agree with the others")
		case latest[r.ProductID].ID != r.ID:
			return errs.E(errs.Conflict, "DISPUTE_SUPERSEDED", "a later dispute about this offer replaces this one: decide that one")
		case !slices.Contains(from, r.Status):
			return errs.E(errs.Conflict, alreadyCode[r.Status], "this dispute is %s already", r.Status)
		}
		now := time.Now().UTC()
		var decidedBy *int64
		if p.UserID != 0 {
			decidedBy = &p.UserID
		}
		// An acceptance is for the offer's data as the manager saw it,
		// which a re-upload may have changed since the dispute opened.
		var offer catalog.Product
		if err := tx.Preload("Labels").First(&offer, r.ProductID).Error; err != nil {
			return database.Translate(err, "product")
		}
		err = tx.Model(&record{}).Where("id = ?", r.ID).Updates(map[string]any{
			"status": status, "resolution": status, "decided_by": decidedBy, "decided_at": now, "note": note,
			"offer_key": Key(&offer)}).Error
		if err != nil {
			return err
		}
		if err := setDisputed(tx, r.ProductID, disputed, 0); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "dispute."+strings.TrimSuffix(status, "ed"), "gtin_dispute", r.ID, map[string]any{
			"gtin": r.GTIN, "product_id": r.ProductID, "supplier_id": r.SupplierID, "from": r.Status, "note": note}); err != nil {
			return err
		}
		_, err = verdicts.New(tx).Recompute(access.With(ctx, access.System("dispute")), []int64{r.ProductID})
		return err
	})
	if err != nil {
		return Dispute{}, err
	}
	return s.get(ctx, s.db, id)
}

// alreadyCode is the code of a decision refused because the dispute is in
// that status already.
var alreadyCode = map[string]string{
	StatusOpen:     "DISPUTE_ALREADY_OPEN",
	StatusAccepted: "DISPUTE_ALREADY_ACCEPTED",
	StatusRejected: "DISPUTE_ALREADY_REJECTED",
}

// withSides completes stored disputes with the disputed offer and the
// other suppliers' offers of each GTIN, as they are now.
func (s *Service) withSides(ctx context.Context, db *gorm.DB, rows []record) ([]Dispute, error) {
	if len(rows) == 0 {
		return []Dispute{}, nil
	}
	gtins := make([]string, 0, len(rows))
	for _, r := range rows {
		gtins = append(gtins, r.GTIN)
	}
	var products []catalog.Product
	if err := db.WithContext(ctx).Preload("Labels").Where("gtin IN ?", gtins).Order("id").Find(&products).Error; err != nil {
		return nil, err
	}
	names, err := supplierNames(ctx, db)
	if err != nil {
		return nil, err
	}
	byGTIN := map[string][]*catalog.Product{}
	byID := map[int64]*catalog.Product{}
	for i := range products {
		p := &products[i]
		byGTIN[p.GTIN] = append(byGTIN[p.GTIN], p)
		byID[p.ID] = p
	}
	out := make([]Dispute, 0, len(rows))
	for _, r := range rows {
		d := Dispute{ID: r.ID, GTIN: r.GTIN, Status: r.Status, OpenedAt: r.OpenedAt, BatchID: r.BatchID,
			DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt, Note: r.Note, Others: []Side{}}
		if r.Resolution == ResolutionAgreed {
			d.Resolution = ResolutionAgreed
		}
		offer := byID[r.ProductID]
		if offer == nil { // the product now carries another GTIN
			var p catalog.Product
			if err := db.WithContext(ctx).Preload("Labels").First(&p, r.ProductID).Error; err != nil {
				return nil, database.Translate(err, "product")
			}
			offer = &p
		}
		d.Offer = side(offer, names, nil)
		d.OfferBlocked = offer.Disputed && r.Resolution != ResolutionAgreed && r.Status != StatusAccepted
		for _, o := range byGTIN[r.GTIN] {
			if o.SupplierID != offer.SupplierID {
				d.Others = append(d.Others, side(o, names, Differences(offer, o)))
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func side(p *catalog.Product, names map[int64]string, diff []string) Side {
	labels := make([]string, len(p.Labels))
	for i, l := range p.Labels {
		labels[i] = l.Scheme + ":" + l.LabelID
	}
	return Side{ProductID: p.ID, SupplierID: p.SupplierID, Supplier: names[p.SupplierID], SKU: p.SKU, Brand: p.Brand, Model: p.Model,
		Name: p.Name, Category: p.Category, PasswordModel: p.PasswordModel, VulnReportContact: p.VulnReportContact,
		SupportEnd: p.SupportEnd.String(), StatementOfCompliance: p.StatementOfCompliance, CEMarking: p.CEMarking,
		Labels: labels, Disputed: p.Disputed, Differences: diff}
}

func supplierNames(ctx context.Context, db *gorm.DB) (map[int64]string, error) {
	var rows []struct {
		ID   int64
		Name string
	}
	if err := db.WithContext(ctx).Table("suppliers").Select("id, name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read suppliers: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

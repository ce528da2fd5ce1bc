// Package procurement lets public buyers use their purchasing power: purchase
// orders whose every line passes the procurement gate at its delivery date,
// waivers approved by a second person, and an evidence pack for auditors.
package procurement

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// Order statuses.
const (
	Draft     = "draft"
	Submitted = "submitted"
	Approved  = "approved"
	Rejected  = "rejected"
	Cancelled = "cancelled"
)

// Order is a public buyer's purchase order.
type Order struct {
	ID           int64      `json:"id"`
	Reference    string     `json:"reference"`
	Organisation string     `json:"organisation"`
	Market       string     `json:"market"`
	Status       string     `json:"status"`
	Version      int        `json:"version"` // send it back with every change: optimistic locking
	CreatedBy    int64      `json:"created_by"`
	SubmittedBy  *int64     `json:"submitted_by,omitempty"`
	SubmittedAt  *time.Time `json:"submitted_at,omitempty"`
	DecidedBy    *int64     `json:"decided_by,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	DecisionNote string     `json:"decision_note,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	Lines        []Line     `json:"lines" gorm:"foreignKey:OrderID"`
	// The order's value, with its lines: a total per currency (never added
	// across currencies) and how many lines have no price.
	Totals        []Total `json:"totals,omitempty" gorm:"-"`
	UnpricedLines int     `json:"unpriced_lines,omitempty" gorm:"-"`
}

// TableName is the orders table.
func (Order) TableName() string { return "purchase_orders" }

// Line is one product on an order.
type Line struct {
	ID           int64             `json:"id"`
	OrderID      int64             `json:"-"`
	LineNo       int               `json:"line_no"`
	ProductID    int64             `json:"product_id"`
	Quantity     int               `json:"quantity"`
	UnitPrice    string            `json:"unit_price"`
	Currency     string            `json:"currency"`
	DeliveryDate civil.Date        `json:"delivery_date"`
	GateVerdict  string            `json:"gate_verdict"` // allowed, blocked or waived at the last check; "" before
	GateReasons  database.JSONText `json:"gate_reasons"`
	GateEvidence database.JSONText `json:"-"`
	WaiverID     *int64            `json:"waiver_id,omitempty"`
	PolicyID     *int64            `json:"-"`
	CheckedAt    *time.Time        `json:"checked_at,omitempty"`
	// Approval is set once, in the transaction that approves the order;
	// from then on Product is the product as approved, never as it is now.
	Approval *Approval        `json:"approval,omitempty" gorm:"column:approved_snapshot;serializer:json"`
	Product  *catalog.Product `json:"product,omitempty" gorm:"-"`
}

// TableName is the lines table.
func (Line) TableName() string { return "purchase_order_lines" }

// Service runs purchase orders and waivers.
type Service struct {
	db       *gorm.DB
	verdicts *verdicts.Service
	products *catalog.Store
	today    func() civil.Date
	horizon  int // years ahead a line may be delivered
}

// DefaultDeliveryHorizon is how many years ahead a line may be delivered
// unless SetDeliveryHorizon says otherwise.
const DefaultDeliveryHorizon = 5

// New returns a Service on db.
func New(db *gorm.DB) *Service {
	return &Service{db: db, verdicts: verdicts.New(db), products: catalog.NewStore(db), today: civil.Today, horizon: DefaultDeliveryHorizon}
}

// SetDeliveryHorizon sets how many years from today a line's delivery date
// may be (1 to 50).
func (s *Service) SetDeliveryHorizon(years int) error {
	if years < 1 || years > 50 {
		return errs.Invalidf("INVALID_DELIVERY_HORIZON", "the delivery horizon is 1 to 50 years, not %d", years)
	}
	s.horizon = years
	return nil
}

// Policies gives access to the policy versions the gate applies.
func (s *Service) Policies() *policy.Store { return s.verdicts.Policies() }

// orgScope limits orders (or waivers) to the caller's organisation; admins see all.
func orgScope(p access.Principal) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		if p.Role == access.Admin {
			return db
		}
		return db.Where("organisation = ?", p.Organisation)
	}
}

// readers may see orders: their organisation's buyers and approvers, and admins.
var readers = []access.Role{access.Admin, access.Buyer, access.Approver}

// NewOrder is what a buyer gives to open an order.
type NewOrder struct {
	Reference string
	Market    string
}

// CreateOrder opens a draft order for the buyer's organisation.
func (s *Service) CreateOrder(ctx context.Context, n NewOrder) (Order, error) {
	p, err := access.Require(ctx, access.Buyer)
	if err != nil {
		return Order{}, err
	}
	n.Reference, n.Market = strings.TrimSpace(n.Reference), strings.ToUpper(strings.TrimSpace(n.Market))
	if strings.IndexByte(n.Reference, 0) >= 0 {
		return Order{}, errs.Invalidf("INVALID_CHARACTER", "the order reference holds a NUL character, which is not text: remove it")
	}
	if n.Reference == "" || len(n.Reference) > 100 {
		return Order{}, errs.Invalidf("INVALID_REFERENCE", "give the order a reference of 1 to 100 characters")
	}
	if !catalog.IsMarket(n.Market) {
		return Order{}, errs.Invalidf("UNKNOWN_MARKET", "%q is not a market code (UK, EU, SG, AU, US)", n.Market)
	}
	o := Order{Reference: n.Reference, Organisation: p.Organisation, Market: n.Market, Status: Draft, Version: 1, CreatedBy: p.UserID}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("Lines").Create(&o).Error; err != nil {
			return database.Translate(err, "an order with reference "+n.Reference)
		}
		return audit.Record(ctx, tx, "order.create", "purchase_order", o.ID, map[string]any{"reference": o.Reference, "market": o.Market, "organisation": o.Organisation})
	})
	return o, err
}

// Order returns an order with its lines and their products; another
// organisation's order is NOT_FOUND.
func (s *Service) Order(ctx context.Context, id int64) (Order, error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return Order{}, err
	}
	return s.load(ctx, s.db.WithContext(ctx), p, id)
}

func (s *Service) load(ctx context.Context, db *gorm.DB, p access.Principal, id int64) (Order, error) {
	var o Order
	err := db.Scopes(orgScope(p)).Preload("Lines", func(db *gorm.DB) *gorm.DB { return db.Order("line_no") }).First(&o, id).Error
	if err != nil {
		return o, database.Translate(err, "purchase order")
	}
	var ids []int64
	for _, l := range o.Lines {
		if l.Approval == nil {
			ids = append(ids, l.ProductID)
		}
	}
	// Buyers and approvers may see every product; read them as the system in one go.
	products, err := s.products.ProductsByID(access.With(ctx, access.System("procurement")), ids)
	if err != nil {
		return o, err
	}
	for i := range o.Lines {
		if a := o.Lines[i].Approval; a != nil {
			// Approved: the product as it was approved, never as it is now.
			p := a.Product
			o.Lines[i].Product = &p
		} else if p, ok := products[o.Lines[i].ProductID]; ok {
			o.Lines[i].Product = &p
		}
	}
	o.Totals, o.UnpricedLines = OrderTotals(o.Lines)
	return o, nil
}

// Orders lists the caller's organisation's orders, newest first.
func (s *Service) Orders(ctx context.Context) ([]Order, error) {
	p, err := access.Require(ctx, readers...)
	if err != nil {
		return nil, err
	}
	var out []Order
	err = s.db.WithContext(ctx).Scopes(orgScope(p)).Order("id DESC").Limit(500).Find(&out).Error
	return out, err
}

// NewLine is a product to add: by GTIN, or by supplier and SKU.
type NewLine struct {
	GTIN         string
	SupplierID   int64 // needed with a GTIN several suppliers offer, or with a SKU
	SKU          string
	Quantity     int
	UnitPrice    string
	Currency     string
	DeliveryDate civil.Date
}

// AddLine adds a product to a draft order. version must be the order's
// current version; the order's new version is returned.
func (s *Service) AddLine(ctx context.Context, orderID int64, version int, n NewLine) (Order, error) {
	p, err := access.Require(ctx, access.Buyer)
	if err != nil {
		return Order{}, err
	}
	if err := s.validateLine(&n); err != nil {
		return Order{}, err
	}
	productID, err := s.resolve(ctx, n)
	if err != nil {
		return Order{}, err
	}
	return s.change(ctx, p, orderID, version, []string{Draft}, "order.line.add", func(tx *gorm.DB, o *Order) error {
		var last int
		if err := tx.Table("purchase_order_lines").Where("order_id = ?", o.ID).Select("COALESCE(MAX(line_no), 0)").Scan(&last).Error; err != nil {
			return err
		}
		line := Line{OrderID: o.ID, LineNo: last + 1, ProductID: productID, Quantity: n.Quantity, UnitPrice: n.UnitPrice,
			Currency: n.Currency, DeliveryDate: n.DeliveryDate, GateReasons: database.JSONText("[]"), GateEvidence: database.JSONText("{}")}
		return tx.Omit("Product", "Approval").Create(&line).Error
	}, map[string]any{"product_id": productID, "quantity": n.Quantity, "unit_price": n.UnitPrice, "currency": n.Currency, "delivery_date": n.DeliveryDate})
}

func (s *Service) resolve(ctx context.Context, n NewLine) (int64, error) {
	f := catalog.ProductFilter{SupplierID: n.SupplierID, Limit: 100}
	switch {
	case n.GTIN != "":
		g, ok := catalog.NormaliseGTIN(n.GTIN)
		if !ok {
			return 0, errs.Invalidf("INVALID_GTIN", "%q is not a GTIN", n.GTIN)
		}
		f.GTIN = g
	case n.SKU != "" && n.SupplierID > 0:
		f.SKU = n.SKU
	default:
		return 0, errs.Invalidf("MISSING_PRODUCT", "name the product by gtin, or by supplier_id and sku")
	}
	list, err := s.products.Products(ctx, f)
	if err != nil {
		return 0, err
	}
	switch len(list) {
	case 0:
		return 0, errs.E(errs.NotFound, "UNKNOWN_PRODUCT", "no product matches %s%s", n.GTIN, n.SKU)
	case 1:
		return list[0].ID, nil
	}
	offers, err := s.offersOf(ctx, list)
	if err != nil {
		return 0, err
	}
	return 0, errs.Invalidf("AMBIGUOUS_PRODUCT", "%d suppliers offer GTIN %s: choose one with supplier_id", len(list), f.GTIN).
		WithDetails(map[string]any{"offers": offers})
}

// Offer is one supplier's offer of a GTIN a buyer can choose between.
type Offer struct {
	SupplierID int64  `json:"supplier_id"`
	Supplier   string `json:"supplier"`
	ProductID  int64  `json:"product_id"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	Disputed   bool   `json:"disputed"` // its data contradicts another offer's: the gate blocks it
}

// offersOf names the suppliers of some products, for a buyer to choose from.
func (s *Service) offersOf(ctx context.Context, list []catalog.Product) ([]Offer, error) {
	ids := make([]int64, len(list))
	for i, p := range list {
		ids[i] = p.SupplierID
	}
	var names []struct {
		ID   int64
		Name string
	}
	if err := s.db.WithContext(ctx).Table("suppliers").Select("id, name").Where("id IN ?", ids).Find(&names).Error; err != nil {
		return nil, err
	}
	byID := make(map[int64]string, len(names))
	for _, n := range names {
		byID[n.ID] = n.Name
	}
	out := make([]Offer, len(list))
	for i, p := range list {
		out[i] = Offer{SupplierID: p.SupplierID, Supplier: byID[p.SupplierID], ProductID: p.ID, SKU: p.SKU, Name: p.Name, Disputed: p.Disputed}
	}
	return out, nil
}

// RemoveLine takes a line off a draft order.
func (s *Service) RemoveLine(ctx context.Context, orderID int64, version int, lineNo int) (Order, error) {
	p, err := access.Require(ctx, access.Buyer)
	if err != nil {
		return Order{}, err
	}
	return s.change(ctx, p, orderID, version, []string{Draft}, "order.line.remove", func(tx *gorm.DB, o *Order) error {
		res := tx.Where("order_id = ? AND line_no = ?", o.ID, lineNo).Delete(&Line{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.NotFoundf("order %d has no line %d", o.ID, lineNo)
		}
		return nil
	}, map[string]any{"line_no": lineNo})
}

// Cancel withdraws a draft or submitted order.
func (s *Service) Cancel(ctx context.Context, orderID int64, version int) (Order, error) {
	p, err := access.Require(ctx, access.Buyer)
	if err != nil {
		return Order{}, err
	}
	return s.change(ctx, p, orderID, version, []string{Draft, Submitted}, "order.cancel", func(tx *gorm.DB, o *Order) error {
		o.Status = Cancelled
		return nil
	}, nil)
}

var errChanged = errs.E(errs.Conflict, "ORDER_CHANGED", "the order was changed by someone else since you loaded it: reload it and try again")

// change applies fn to an order of the caller's organisation in one of
// states, under optimistic locking: the update only lands if nobody changed
// the order since version, and bumps the version.
func (s *Service) change(ctx context.Context, p access.Principal, id int64, version int, states []string, action string,
	fn func(tx *gorm.DB, o *Order) error, data map[string]any) (Order, error) {
	var out Order
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		o, err := lockOrder(tx, p, id, version, states)
		if err != nil {
			return err
		}
		if err := fn(tx, &o); err != nil {
			return err
		}
		out, err = s.commit(ctx, tx, p, o, version, action, data)
		return err
	})
	return out, err
}

// notInStateCode is the code of a change refused because the order is not
// in the state it needs (the first of the states it accepts).
var notInStateCode = map[string]string{
	Draft:     "ORDER_NOT_DRAFT",
	Submitted: "ORDER_NOT_SUBMITTED",
	Approved:  "ORDER_NOT_APPROVED",
}

// lockOrder reads an order of the caller's organisation for a change and
// holds it (PostgreSQL: FOR UPDATE; SQLite transactions are IMMEDIATE, so
// one writer at a time) until the transaction ends. Its version and state
// are checked here, before anything is written.
func lockOrder(tx *gorm.DB, p access.Principal, id int64, version int, states []string) (Order, error) {
	var o Order
	if version <= 0 { // versions start at 1: none was sent, which is not someone else's change
		return o, errs.Invalidf("VERSION_REQUIRED", "send the order's current version (its version field, %s) with every change", "e.g. {\"version\": 3}")
	}
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Scopes(orgScope(p)).First(&o, id).Error; err != nil {
		return o, database.Translate(err, "purchase order")
	}
	if o.Version != version {
		return o, errChanged.WithDetails(map[string]int{"current_version": o.Version})
	}
	if !slices.Contains(states, o.Status) {
		return o, errs.E(errs.Conflict, notInStateCode[states[0]], "the order is %s; this needs it %s", o.Status, strings.Join(states, " or "))
	}
	return o, nil
}

// commit stores o's new state and version, only if the order is still at
// version, audits action, and returns the order as stored.
func (s *Service) commit(ctx context.Context, tx *gorm.DB, p access.Principal, o Order, version int, action string, data map[string]any) (Order, error) {
	res := tx.Model(&Order{}).Where("id = ? AND version = ?", o.ID, version).Updates(map[string]any{
		"status": o.Status, "version": version + 1, "updated_at": time.Now().UTC(),
		"submitted_by": o.SubmittedBy, "submitted_at": o.SubmittedAt,
		"decided_by": o.DecidedBy, "decided_at": o.DecidedAt, "decision_note": o.DecisionNote,
	})
	if res.Error != nil {
		return Order{}, res.Error
	}
	if res.RowsAffected == 0 {
		return Order{}, errChanged
	}
	if data == nil {
		data = map[string]any{}
	}
	data["status"], data["version"] = o.Status, version+1
	if err := audit.Record(ctx, tx, action, "purchase_order", o.ID, data); err != nil {
		return Order{}, err
	}
	return s.load(ctx, tx, p, o.ID)
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

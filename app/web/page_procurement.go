package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/procurement"
)

func formInt(c *gin.Context, name string) int {
	n, _ := strconv.Atoi(c.PostForm(name))
	return n
}

// formDate reads an optional date field; a bad one names its field, so
// the form shows the error next to it.
func formDate(c *gin.Context, name string) (civil.Date, error) {
	v := c.PostForm(name)
	if v == "" {
		return civil.Date{}, nil
	}
	d, err := civil.Parse(v)
	if err != nil {
		msg := fmt.Sprintf("%s must be a date (YYYY-MM-DD)", name)
		return d, errs.Invalidf("INVALID_DATE", "%s", msg).WithDetails([]errs.FieldError{{Field: name, Message: msg}})
	}
	return d, nil
}

func (s *Server) ordersPage(c *gin.Context) error {
	return s.renderOrders(c, http.StatusOK, &ordersView{})
}

// renderOrders fills v (which may carry the new-order form's values and
// error) with the caller's orders, and shows it.
func (s *Server) renderOrders(c *gin.Context, status int, v *ordersView) error {
	list, err := s.procurement.Orders(c.Request.Context())
	if err != nil {
		return err
	}
	v.Orders, v.Markets = list, catalog.MarketCodes
	return s.page(c, status, "Purchase orders", v)
}

// ordersView lists the caller's orders, with the form to start one.
type ordersView struct {
	pageData
	Orders            []procurement.Order
	Markets           []string
	Reference, Market string // the new-order form as typed
}

func (*ordersView) template() string { return "orders.html" }

func (s *Server) createOrderPage(c *gin.Context) error {
	o, err := s.procurement.CreateOrder(c.Request.Context(), procurement.NewOrder{Reference: c.PostForm("reference"), Market: c.PostForm("market")})
	if e, ok := errs.As(err); ok && e.Code == "UNKNOWN_MARKET" {
		err = fieldOf(err, "market")
	} else if ok {
		err = fieldOf(err, "reference")
	}
	if err != nil {
		v := &ordersView{Reference: c.PostForm("reference"), Market: c.PostForm("market")}
		if status, ok := formFailed(c, v, err); ok {
			return s.renderOrders(c, status, v)
		}
		return err
	}
	return back(c, fmt.Sprintf("/orders/%d", o.ID), noticeOrderCreated)
}

// orderPage shows an order with each line's gate decision inline, and the
// actions the caller's role may take on it. The catalogue's "add to order"
// links here with the product and its price filled into the line form.
func (s *Server) orderPage(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	line := lineForm{GTIN: c.Query("gtin"), SupplierID: c.Query("supplier_id"), UnitPrice: c.Query("unit_price"), Currency: c.DefaultQuery("currency", "GBP"), Quantity: "1"}
	return s.renderOrder(c, http.StatusOK, id, &orderView{Line: line})
}

// orderView is an order with the gate's decision on each line, its value,
// and the form for a new line.
type orderView struct {
	pageData
	O        procurement.Order
	Checks   map[int]procurement.LineCheck  // by line number; empty once the order is closed
	Pending  map[int64][]procurement.Waiver // requested waivers, by product
	Totals   []procurement.Total
	Unpriced int
	Line     lineForm
	Offers   []procurement.Offer // the suppliers to choose from when the GTIN is ambiguous
}

func (*orderView) template() string { return "order.html" }

// LineTotal is a line's quantity times its price, "" without a price.
func (*orderView) LineTotal(l procurement.Line) string { return procurement.LineTotal(l) }

// PendingFor is a requested waiver for a line's product that names every
// code blocking it, if any: the line shows it instead of the link to ask
// for another.
func (v *orderView) PendingFor(l procurement.Line, codes []string) *procurement.Waiver {
	for _, w := range v.Pending[l.ProductID] {
		if w.Names(codes) {
			return &w
		}
	}
	return nil
}

// lineForm is what the line form shows in its fields.
type lineForm struct {
	GTIN, SupplierID, Quantity, UnitPrice, Currency, DeliveryDate string
}

// lineFormOf is the line form as the buyer sent it.
func lineFormOf(c *gin.Context) lineForm {
	return lineForm{GTIN: c.PostForm("gtin"), SupplierID: c.PostForm("supplier_id"), Quantity: c.PostForm("quantity"),
		UnitPrice: c.PostForm("unit_price"), Currency: c.PostForm("currency"), DeliveryDate: c.PostForm("delivery_date")}
}

// renderOrder fills v (which carries the line form to show: its values,
// the offers to choose from, the error) with the order, its gate
// decisions, its pending waivers and totals, and shows it.
func (s *Server) renderOrder(c *gin.Context, status int, id int64, v *orderView) error {
	ctx := c.Request.Context()
	o, err := s.procurement.Order(ctx, id)
	if err != nil {
		return err
	}
	// Open orders show the gate as it stands now; closed ones what was recorded.
	byLine := map[int]procurement.LineCheck{}
	if o.Status == procurement.Draft || o.Status == procurement.Submitted {
		checks, err := s.procurement.Check(ctx, id)
		if err != nil {
			return err
		}
		for _, ch := range checks {
			byLine[ch.LineNo] = ch
		}
		if v.Pending, err = s.procurement.PendingWaivers(ctx, o); err != nil {
			return err
		}
	}
	v.O, v.Checks = o, byLine
	v.Totals, v.Unpriced = procurement.OrderTotals(o.Lines)
	return s.page(c, status, "Order "+o.Reference, v)
}

func (s *Server) addLinePage(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	err = s.addLineFromForm(c, id)
	if e, ok := errs.As(err); ok && e.Code == "AMBIGUOUS_PRODUCT" {
		// Several suppliers offer the GTIN: the same form again, with the
		// offers to choose from and everything typed kept.
		details, _ := e.Details.(map[string]any)
		offers, _ := details["offers"].([]procurement.Offer)
		v := &orderView{Offers: offers, Line: lineFormOf(c)}
		v.Error = "Several suppliers offer this GTIN: choose the one to buy from."
		return s.renderOrder(c, http.StatusBadRequest, id, v)
	}
	if err != nil {
		v := &orderView{Line: lineFormOf(c)}
		if status, ok := formFailed(c, v, err); ok {
			return s.renderOrder(c, status, id, v)
		}
		return err
	}
	return back(c, fmt.Sprintf("/orders/%d", id), noticeLineAdded)
}

func (s *Server) addLineFromForm(c *gin.Context, id int64) error {
	delivery, err := formDate(c, "delivery_date")
	if err != nil {
		return err
	}
	supplierID, _ := strconv.ParseInt(c.PostForm("supplier_id"), 10, 64)
	_, err = s.procurement.AddLine(c.Request.Context(), id, formInt(c, "version"), procurement.NewLine{
		GTIN: strings.TrimSpace(c.PostForm("gtin")), SupplierID: supplierID, Quantity: formInt(c, "quantity"), UnitPrice: c.PostForm("unit_price"),
		Currency: c.PostForm("currency"), DeliveryDate: delivery,
	})
	if e, ok := errs.As(err); ok && e.Details == nil && (e.Code == "INVALID_GTIN" || e.Code == "UNKNOWN_PRODUCT" || e.Code == "MISSING_PRODUCT") {
		err = e.WithDetails([]errs.FieldError{{Field: "gtin", Message: e.Message}})
	}
	return err
}

// orderActionPage submits, approves, rejects or cancels from the order page.
func (s *Server) orderActionPage(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	version, note := formInt(c, "version"), c.PostForm("note")
	var done notice
	switch c.Param("action") {
	case "submit":
		_, err = s.procurement.Submit(ctx, id, version)
		done = noticeOrderSubmitted
	case "approve":
		_, err = s.procurement.Approve(ctx, id, version, note)
		done = noticeOrderApproved
	case "reject":
		_, err = s.procurement.Reject(ctx, id, version, note)
		done = noticeOrderRejected
	case "cancel":
		_, err = s.procurement.Cancel(ctx, id, version)
		done = noticeOrderCancelled
	default:
		return errs.NotFoundf("no such action")
	}
	if e, ok := errs.As(err); ok && e.Code == "ORDER_BLOCKED" {
		return back(c, fmt.Sprintf("/orders/%d", id), noticeOrderBlocked)
	}
	if err != nil {
		// Changed meanwhile, or not in the state the action needs: the
		// order as it is now, with why, not an error page.
		v := &orderView{Line: lineForm{Currency: "GBP", Quantity: "1"}}
		if status, ok := formFailed(c, v, err); ok {
			return s.renderOrder(c, status, id, v)
		}
		return err
	}
	return back(c, fmt.Sprintf("/orders/%d", id), done)
}

func (s *Server) cataloguePage(c *gin.Context) error {
	ctx := c.Request.Context()
	market := strings.ToUpper(c.DefaultQuery("market", "UK"))
	v := &catalogueView{Market: market, Markets: catalog.MarketCodes, All: c.Query("all") == "true", Q: c.Query("q")}
	err := s.procurement.Catalogue(ctx, procurement.CatalogueQuery{Market: market, All: v.All, Query: v.Q},
		func(it procurement.CatalogueItem) error {
			v.Items = append(v.Items, it)
			return nil
		})
	if err != nil {
		return err
	}
	if p, err := access.From(ctx); err == nil && p.Role == access.Buyer {
		// The drafts in this market are what a product can be added to.
		orders, err := s.procurement.Orders(ctx)
		if err != nil {
			return err
		}
		chosen, _ := strconv.ParseInt(c.Query("order"), 10, 64)
		for _, o := range orders {
			if o.Status == procurement.Draft && o.Market == market {
				v.Drafts = append(v.Drafts, o)
				if o.ID == chosen || v.Order.ID == 0 {
					v.Order = o
				}
			}
		}
	}
	return s.page(c, http.StatusOK, "Procurement catalogue", v)
}

// catalogueView is what a buyer may order in a market (with All, also
// what they may not, and why), the search form, and the draft order a
// product is added to.
type catalogueView struct {
	pageData
	Items   []procurement.CatalogueItem
	Market  string
	Markets []string
	All     bool
	Q       string
	Drafts  []procurement.Order // the buyer's draft orders in the market
	Order   procurement.Order   // the one chosen to add to
}

func (*catalogueView) template() string { return "catalogue.html" }

// waiverForm is the waiver request form as typed.
type waiverForm struct {
	GTIN, Market, Codes, Justification, ExpiresOn, Order string
}

// waiverDecision is the decision form that failed, as typed.
type waiverDecision struct {
	ID              int64
	Note, ExpiresOn string
}

func (s *Server) waiversPage(c *gin.Context) error {
	return s.renderWaivers(c, http.StatusOK, &waiversView{Form: waiverForm{GTIN: c.Query("gtin"), Market: c.Query("market"), Codes: c.Query("codes"), Order: c.Query("order")}})
}

func (s *Server) renderWaivers(c *gin.Context, status int, v *waiversView) error {
	list, err := s.procurement.Waivers(c.Request.Context())
	if err != nil {
		return err
	}
	v.Waivers, v.Markets = list, catalog.MarketCodes
	return s.page(c, status, "Waivers", v)
}

// waiversView lists the waivers, with the request form filled from the
// link an order's blocked line gives (or as typed, after an error).
type waiversView struct {
	pageData
	Waivers []procurement.Waiver
	Markets []string
	Form    waiverForm
	Decide  waiverDecision
}

func (*waiversView) template() string { return "waivers.html" }

// evidenceView is an approved order's printable evidence pack. It is a
// document, not a page of the application: it has no navigation.
type evidenceView struct {
	pageData
	E        procurement.Evidence
	Approved string // when it was approved, or ""
}

func (*evidenceView) template() string { return "evidence.html" }

// LineTotal is a line's quantity times its price, "" without a price.
func (*evidenceView) LineTotal(l procurement.Line) string { return procurement.LineTotal(l) }

func (s *Server) requestWaiverPage(c *gin.Context) error {
	ctx := c.Request.Context()
	form := waiverForm{GTIN: c.PostForm("gtin"), Market: c.PostForm("market"), Codes: c.PostForm("codes"), Justification: c.PostForm("justification"),
		ExpiresOn: c.PostForm("expires_on"), Order: c.PostForm("order")}
	err := s.requestWaiverFromForm(c)
	if err != nil {
		v := &waiversView{Form: form}
		if status, ok := formFailed(c, v, err); ok {
			return s.renderWaivers(c, status, v)
		}
		return err
	}
	// Back to the order it was asked from: its line now shows the request.
	if order, err := strconv.ParseInt(form.Order, 10, 64); err == nil && order > 0 {
		if _, err := s.procurement.Order(ctx, order); err == nil {
			return back(c, fmt.Sprintf("/orders/%d", order), noticeWaiverRequested)
		}
	}
	return back(c, "/waivers", noticeWaiverRequested)
}

func (s *Server) requestWaiverFromForm(c *gin.Context) error {
	expires, err := formDate(c, "expires_on")
	if err != nil {
		return err
	}
	supplierID, _ := strconv.ParseInt(c.PostForm("supplier_id"), 10, 64)
	_, err = s.procurement.RequestWaiver(c.Request.Context(), procurement.NewWaiver{GTIN: strings.TrimSpace(c.PostForm("gtin")), SupplierID: supplierID, Market: c.PostForm("market"),
		Codes: strings.Fields(strings.ReplaceAll(c.PostForm("codes"), ",", " ")), Justification: c.PostForm("justification"), ExpiresOn: expires})
	return err
}

// decideWaiverPage approves or refuses a waiver from its page. Each decision
// has its own route: a mistyped action is no route at all (404), never a refusal.
func (s *Server) decideWaiverPage(approve bool) handler {
	return func(c *gin.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		expires, err := formDate(c, "expires_on")
		if err == nil {
			_, err = s.procurement.DecideWaiver(c.Request.Context(), id, approve, c.PostForm("note"), expires)
		}
		if err != nil {
			v := &waiversView{Decide: waiverDecision{ID: id, Note: c.PostForm("note"), ExpiresOn: c.PostForm("expires_on")}}
			if status, ok := formFailed(c, v, err); ok {
				return s.renderWaivers(c, status, v)
			}
			return err
		}
		if approve {
			return back(c, "/waivers", noticeWaiverApproved)
		}
		return back(c, "/waivers", noticeWaiverRefused)
	}
}

package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/procurement"
)

func formInt(c *gin.Context, name string) int {
	n, _ := strconv.Atoi(c.PostForm(name))
	return n
}

func formDate(c *gin.Context, name string) (civil.Date, error) {
	v := c.PostForm(name)
	if v == "" {
		return civil.Date{}, nil
	}
	d, err := civil.Parse(v)
	if err != nil {
		return d, errs.Invalidf("INVALID_DATE", "%s must be a date", name)
	}
	return d, nil
}

func (s *Server) ordersPage(c *gin.Context) error {
	list, err := s.procurement.Orders(c.Request.Context())
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Purchase orders", &ordersView{Orders: list, Markets: catalog.MarketCodes})
}

// ordersView lists the caller's orders, with the form to start one.
type ordersView struct {
	pageData
	Orders  []procurement.Order
	Markets []string
}

func (*ordersView) template() string { return "orders.html" }

func (s *Server) createOrderPage(c *gin.Context) error {
	o, err := s.procurement.CreateOrder(c.Request.Context(), procurement.NewOrder{Reference: c.PostForm("reference"), Market: c.PostForm("market")})
	if err != nil {
		return err
	}
	return back(c, fmt.Sprintf("/orders/%d", o.ID), noticeOrderCreated)
}

// orderPage shows an order with each line's gate decision inline, and the
// actions the caller's role may take on it.
func (s *Server) orderPage(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.renderOrder(c, http.StatusOK, id, &orderView{Line: lineForm{Currency: "GBP", Quantity: "1"}})
}

// orderView is an order with the gate's decision on each line, and the
// form for a new line.
type orderView struct {
	pageData
	O      procurement.Order
	Checks map[int]procurement.LineCheck // by line number; empty once the order is closed
	Line   lineForm
	Offers []procurement.Offer // the suppliers to choose from when the GTIN is ambiguous
}

func (*orderView) template() string { return "order.html" }

// lineForm is what the line form shows in its fields.
type lineForm struct {
	GTIN, Quantity, UnitPrice, Currency, DeliveryDate string
}

// renderOrder fills v (which carries the line form to show: its values,
// the offers to choose from, the error) with the order and its gate
// decisions, and shows it.
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
	}
	v.O, v.Checks = o, byLine
	return s.page(c, status, "Order "+o.Reference, v)
}

func (s *Server) addLinePage(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	delivery, err := formDate(c, "delivery_date")
	if err != nil {
		return err
	}
	supplierID, _ := strconv.ParseInt(c.PostForm("supplier_id"), 10, 64)
	_, err = s.procurement.AddLine(c.Request.Context(), id, formInt(c, "version"), procurement.NewLine{
		GTIN: strings.TrimSpace(c.PostForm("gtin")), SupplierID: supplierID, Quantity: formInt(c, "quantity"), UnitPrice: c.PostForm("unit_price"),
		Currency: c.PostForm("currency"), DeliveryDate: delivery,
	})
	if e, ok := errs.As(err); ok && e.Code == "AMBIGUOUS_PRODUCT" {
		// Several suppliers offer the GTIN: the same form again, with the
		// offers to choose from and everything typed kept.
		details, _ := e.Details.(map[string]any)
		offers, _ := details["offers"].([]procurement.Offer)
		v := &orderView{Offers: offers, Line: lineForm{GTIN: c.PostForm("gtin"), Quantity: c.PostForm("quantity"),
			UnitPrice: c.PostForm("unit_price"), Currency: c.PostForm("currency"), DeliveryDate: c.PostForm("delivery_date")}}
		v.Error = "Several suppliers offer this GTIN: choose the one to buy from."
		return s.renderOrder(c, http.StatusBadRequest, id, v)
	}
	if err != nil {
		return err
	}
	return back(c, fmt.Sprintf("/orders/%d", id), noticeLineAdded)
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
		return err
	}
	return back(c, fmt.Sprintf("/orders/%d", id), done)
}

func (s *Server) cataloguePage(c *gin.Context) error {
	market := strings.ToUpper(c.DefaultQuery("market", "UK"))
	var rows []verdicts.Row
	err := s.procurement.Catalogue(c.Request.Context(), procurement.CatalogueQuery{Market: market, All: c.Query("all") == "true", Query: c.Query("q")},
		func(r verdicts.Row) error {
			rows = append(rows, r)
			return nil
		})
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Procurement catalogue", &catalogueView{Rows: rows, Market: market, Markets: catalog.MarketCodes,
		All: c.Query("all") == "true", Q: c.Query("q")})
}

// catalogueView is what a buyer may order in a market (with All, also
// what they may not, and why), and the search form.
type catalogueView struct {
	pageData
	Rows    []verdicts.Row
	Market  string
	Markets []string
	All     bool
	Q       string
}

func (*catalogueView) template() string { return "catalogue.html" }

func (s *Server) waiversPage(c *gin.Context) error {
	list, err := s.procurement.Waivers(c.Request.Context())
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Waivers", &waiversView{Waivers: list, Markets: catalog.MarketCodes,
		GTIN: c.Query("gtin"), Market: c.Query("market"), Codes: c.Query("codes")})
}

// waiversView lists the waivers, with the request form filled from the
// link an order's blocked line gives.
type waiversView struct {
	pageData
	Waivers             []procurement.Waiver
	Markets             []string
	GTIN, Market, Codes string
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

func (s *Server) requestWaiverPage(c *gin.Context) error {
	ctx := c.Request.Context()
	expires, err := formDate(c, "expires_on")
	if err != nil {
		return err
	}
	supplierID, _ := strconv.ParseInt(c.PostForm("supplier_id"), 10, 64)
	_, err = s.procurement.RequestWaiver(ctx, procurement.NewWaiver{GTIN: strings.TrimSpace(c.PostForm("gtin")), SupplierID: supplierID, Market: c.PostForm("market"),
		Codes: strings.Fields(strings.ReplaceAll(c.PostForm("codes"), ",", " ")), Justification: c.PostForm("justification"), ExpiresOn: expires})
	if err != nil {
		return err
	}
	return back(c, "/waivers", noticeWaiverRequested)
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
		if err != nil {
			return err
		}
		if _, err := s.procurement.DecideWaiver(c.Request.Context(), id, approve, c.PostForm("note"), expires); err != nil {
			return err
		}
		if approve {
			return back(c, "/waivers", noticeWaiverApproved)
		}
		return back(c, "/waivers", noticeWaiverRefused)
	}
}

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
	return s.page(c, http.StatusOK, "orders.html", "Purchase orders", map[string]any{"Orders": list, "Markets": catalog.MarketCodes})
}

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
	return s.renderOrder(c, http.StatusOK, id, nil)
}

// renderOrder shows an order with the gate's decision on each line; extra
// carries a line form to show again (its values, the offers to choose
// from, the error).
func (s *Server) renderOrder(c *gin.Context, status int, id int64, extra map[string]any) error {
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
	data := map[string]any{"O": o, "Checks": byLine, "Line": map[string]string{"currency": "GBP", "quantity": "1"}}
	for k, v := range extra {
		data[k] = v
	}
	return s.page(c, status, "order.html", "Order "+o.Reference, data)
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
		line := map[string]string{}
		for _, k := range []string{"gtin", "quantity", "unit_price", "currency", "delivery_date"} {
			line[k] = c.PostForm(k)
		}
		details, _ := e.Details.(map[string]any)
		return s.renderOrder(c, http.StatusBadRequest, id, map[string]any{"Line": line, "Offers": details["offers"],
			"Error": "Several suppliers offer this GTIN: choose the one to buy from."})
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
	return s.page(c, http.StatusOK, "catalogue.html", "Procurement catalogue", map[string]any{
		"Rows": rows, "Market": market, "Markets": catalog.MarketCodes, "All": c.Query("all") == "true", "Q": c.Query("q"),
	})
}

func (s *Server) waiversPage(c *gin.Context) error {
	list, err := s.procurement.Waivers(c.Request.Context())
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "waivers.html", "Waivers", map[string]any{"Waivers": list, "Markets": catalog.MarketCodes,
		"GTIN": c.Query("gtin"), "Market": c.Query("market"), "Codes": c.Query("codes")})
}

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

package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/procurement"
	"github.com/cascade-gate/cascade/templates"
)

type createOrderRequest struct {
	Reference string `json:"reference"`
	Market    string `json:"market"`
}

type addLineRequest struct {
	Version      int        `json:"version"`
	GTIN         string     `json:"gtin"`
	SupplierID   int64      `json:"supplier_id"`
	SKU          string     `json:"sku"`
	Quantity     int        `json:"quantity"`
	UnitPrice    unitPrice  `json:"unit_price"`
	Currency     string     `json:"currency"`
	DeliveryDate civil.Date `json:"delivery_date"`
}

// unitPrice is a price given as a JSON number or a JSON string, kept as
// the text it was written as for the domain to check (a float would
// already have lost digits, or turned 1e400 into Infinity).
type unitPrice string

// UnmarshalJSON takes a JSON string's text or a JSON number's literal;
// null is no price. Anything else is refused.
func (d *unitPrice) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = unitPrice(s)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*d = unitPrice(b)
	default:
		msg := "must be a number or a decimal string such as \"12.50\""
		return errs.Invalidf("INVALID_UNIT_PRICE", "unit_price %s", msg).WithDetails([]errs.FieldError{{Field: "unit_price", Message: msg}})
	}
	return nil
}

type decisionRequest struct {
	Version   int        `json:"version"`
	Note      string     `json:"note"`
	ExpiresOn civil.Date `json:"expires_on"`
}

type waiverRequest struct {
	ProductID     int64      `json:"product_id"` // or gtin (and supplier_id when several suppliers offer it)
	GTIN          string     `json:"gtin"`
	SupplierID    int64      `json:"supplier_id"`
	Market        string     `json:"market"`
	Codes         []string   `json:"codes"`
	Justification string     `json:"justification"`
	ExpiresOn     civil.Date `json:"expires_on"`
}

// SetDeliveryHorizon sets how many years ahead an order line may be
// delivered (procurement.DefaultDeliveryHorizon unless set).
func (s *Server) SetDeliveryHorizon(years int) error { return s.procurement.SetDeliveryHorizon(years) }

// catalogue lists the products buyers may order in a market (?all=true adds
// the others, with why they are not eligible).
func (s *Server) catalogue(c *gin.Context) error {
	all, err := queryBool(c, "all")
	if err != nil {
		return err
	}
	q := procurement.CatalogueQuery{Market: c.Query("market"), All: all, Query: c.Query("q")}
	return listed(c, func(r database.PageRequest) (database.Page[procurement.CatalogueItem], error) {
		q.After = r.After
		page := database.NewCollector(r, func(it procurement.CatalogueItem) []int64 { return it.Cursor })
		return page.Page(s.procurement.Catalogue(c.Request.Context(), q, page.Add))
	})
}

func (s *Server) listOrders(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[procurement.Order], error) {
		return s.procurement.OrdersPage(c.Request.Context(), r)
	})
}

func (s *Server) createOrder(c *gin.Context) error {
	var req createOrderRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	o, err := s.procurement.CreateOrder(c.Request.Context(), procurement.NewOrder{Reference: req.Reference, Market: req.Market})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"purchase_order": o})
	return nil
}

func (s *Server) getOrder(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	o, err := s.procurement.Order(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"purchase_order": o})
	return nil
}

func (s *Server) addLine(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req addLineRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	o, err := s.procurement.AddLine(c.Request.Context(), id, req.Version, procurement.NewLine{GTIN: req.GTIN, SupplierID: req.SupplierID, SKU: req.SKU,
		Quantity: req.Quantity, UnitPrice: string(req.UnitPrice), Currency: req.Currency, DeliveryDate: req.DeliveryDate})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"purchase_order": o})
	return nil
}

func (s *Server) removeLine(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	lineNo, err := strconv.Atoi(c.Param("line"))
	if err != nil {
		return errs.NotFoundf("no line %q", c.Param("line"))
	}
	version, err := queryInt(c, "version")
	if err != nil {
		return err
	}
	o, err := s.procurement.RemoveLine(c.Request.Context(), id, int(version), lineNo)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"purchase_order": o})
	return nil
}

func (s *Server) checkOrder(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	checks, err := s.procurement.Check(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"lines": checks})
	return nil
}

// orderAction runs submit, approve, reject or cancel with the body's version and note.
func (s *Server) orderAction(action string) handler {
	return func(c *gin.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var req decisionRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		ctx := c.Request.Context()
		var o procurement.Order
		switch action {
		case "submit":
			o, err = s.procurement.Submit(ctx, id, req.Version)
		case "approve":
			o, err = s.procurement.Approve(ctx, id, req.Version, req.Note)
		case "reject":
			o, err = s.procurement.Reject(ctx, id, req.Version, req.Note)
		case "cancel":
			o, err = s.procurement.Cancel(ctx, id, req.Version)
		}
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, gin.H{"purchase_order": o})
		return nil
	}
}

func (s *Server) evidenceXLSX(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ev, err := s.procurement.EvidencePack(c.Request.Context(), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := procurement.WriteEvidenceXLSX(ev, &buf); err != nil {
		return err
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="evidence-%s.xlsx"`, safeFileName(ev.Order.Reference)))
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
	return nil
}

// evidenceHTML is the printable evidence pack.
func (s *Server) evidenceHTML(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ev, err := s.procurement.EvidencePack(c.Request.Context(), id)
	if err != nil {
		return err
	}
	approved := ""
	if ev.Order.DecidedAt != nil {
		approved = ev.Order.DecidedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	v := &evidenceView{E: ev, Approved: approved}
	v.Title = "Evidence pack " + ev.Order.Reference
	page, err := templates.Render(v.template(), v)
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", page)
	return nil
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func (s *Server) listWaivers(c *gin.Context) error {
	return listed(c, func(r database.PageRequest) (database.Page[procurement.Waiver], error) {
		return s.procurement.WaiversPage(c.Request.Context(), r)
	})
}

func (s *Server) getWaiver(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	w, err := s.procurement.Waiver(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"waiver": w})
	return nil
}

func (s *Server) requestWaiver(c *gin.Context) error {
	var req waiverRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	w, err := s.procurement.RequestWaiver(c.Request.Context(), procurement.NewWaiver{ProductID: req.ProductID, GTIN: req.GTIN, SupplierID: req.SupplierID, Market: req.Market,
		Codes: req.Codes, Justification: req.Justification, ExpiresOn: req.ExpiresOn})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"waiver": w})
	return nil
}

func (s *Server) decideWaiver(approve bool) handler {
	return func(c *gin.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var req decisionRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		w, err := s.procurement.DecideWaiver(c.Request.Context(), id, approve, req.Note, req.ExpiresOn)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, gin.H{"waiver": w})
		return nil
	}
}

// externalOrderRequest is an order raised in another system, for the gate.
type externalOrderRequest struct {
	Market string         `json:"market"`
	Lines  []externalLine `json:"lines"`
}

// externalLine is one line of an order raised elsewhere: the product by
// gtin (and supplier_id when several suppliers offer it) or by supplier_id
// and sku.
type externalLine struct {
	GTIN         string     `json:"gtin"`
	SupplierID   int64      `json:"supplier_id"`
	SKU          string     `json:"sku"`
	Quantity     int        `json:"quantity"`
	DeliveryDate civil.Date `json:"delivery_date"`
}

// checkExternalOrder is the gate for purchase orders raised elsewhere:
// POST /api/v1/procurement/check.
func (s *Server) checkExternalOrder(c *gin.Context) error {
	var req externalOrderRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	x := procurement.ExternalOrder{Market: req.Market}
	for _, l := range req.Lines {
		x.Lines = append(x.Lines, procurement.NewLine{GTIN: l.GTIN, SupplierID: l.SupplierID, SKU: l.SKU, Quantity: l.Quantity, DeliveryDate: l.DeliveryDate})
	}
	lines, err := s.procurement.CheckExternal(c.Request.Context(), x)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"lines": lines})
	return nil
}

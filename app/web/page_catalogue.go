package web

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

var managers = []access.Role{access.Admin, access.CategoryManager}

func (s *Server) dashboardPage(c *gin.Context) error {
	ctx := c.Request.Context()
	d, err := s.verdicts.Dashboard(ctx)
	if err != nil {
		return err
	}
	var labels []string
	var values []int
	var classes []string
	short := map[string]string{"retail": "retail", "procurement": "proc."}
	for _, m := range d.Markets {
		labels = append(labels, m.Market+" "+short[m.Channel], m.Market+" "+short[m.Channel])
		values = append(values, m.Allowed, m.Blocked)
		classes = append(classes, "allowed", "blocked")
	}
	markets := newBarChart("Verdicts by market and channel: allowed (green) and blocked (red)", labels, values, classes, 960, 260)
	labels, values = nil, nil
	for _, r := range d.TopReasons {
		labels, values = append(labels, r.Label), append(values, r.N)
	}
	reasons := newHBarChart("Top blocking reasons (number of blocked verdicts)", labels, values, 960)
	labels, values = nil, nil
	for _, m := range d.Sunset {
		labels, values = append(labels, m.Label[2:]), append(values, m.N)
	}
	sunset := newBarChart("Allowed products whose security support ends, by month (next 24 months)", labels, values, nil, 960, 220)
	return s.page(c, http.StatusOK, "dashboard.html", "Dashboard", map[string]any{
		"D": d, "MarketChart": markets, "ReasonChart": reasons, "SunsetChart": sunset,
	})
}

// productsPage searches verdicts by market, channel, verdict, reason,
// supplier, category and text.
func (s *Server) productsPage(c *gin.Context) error {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, managers...); err != nil {
		return err
	}
	f, _, err := verdictFilter(c)
	if err != nil {
		return err
	}
	const limit = 500
	var rows []verdicts.Row
	truncated := false
	err = s.verdicts.List(ctx, f, func(r verdicts.Row) error {
		if len(rows) == limit {
			truncated = true
			return errStopListing
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil && err != errStopListing {
		return err
	}
	suppliers, err := s.suppliers.List(ctx)
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "products.html", "Products", map[string]any{
		"Rows": rows, "Truncated": truncated, "F": f, "Q": f.Query, "Category": f.Category,
		"Markets": catalog.MarketCodes, "Channels": catalog.Channels, "Categories": catalog.Categories, "Suppliers": suppliers,
	})
}

var errStopListing = errs.E(errs.Internal, "STOP", "enough rows")

// verdictView is a stored verdict decoded for the product page.
type verdictView struct {
	Market, Channel, Verdict, AsOf string
	Reasons                        []policy.Reason
	Evidence                       policy.Evidence
}

func (s *Server) productPage(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.products.Product(ctx, id)
	if err != nil {
		return err
	}
	stored, err := s.verdicts.ProductVerdicts(ctx, id)
	if err != nil {
		return err
	}
	var views []verdictView
	for _, v := range stored {
		vv := verdictView{Market: v.Market, Channel: v.Channel, Verdict: v.Verdict, AsOf: v.AsOf}
		_ = json.Unmarshal(v.Reasons, &vv.Reasons)
		_ = json.Unmarshal(v.Evidence, &vv.Evidence)
		views = append(views, vv)
	}
	sup, _ := s.suppliers.Get(ctx, p.SupplierID)
	return s.page(c, http.StatusOK, "product.html", p.Brand+" "+p.Model, map[string]any{"P": p, "Supplier": sup.Name, "Verdicts": views})
}

func (s *Server) listingsPage(c *gin.Context) error {
	if _, err := access.Require(c.Request.Context(), managers...); err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "listings.html", "Listing feeds", map[string]any{"Markets": catalog.MarketCodes, "Formats": verdicts.ListingFormats})
}

// impactPage previews a policy version or a future date.
func (s *Server) impactPage(c *gin.Context) error {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, managers...); err != nil {
		return err
	}
	versions, err := s.verdicts.Policies().Versions(ctx)
	if err != nil {
		return err
	}
	data := map[string]any{"Versions": versions, "AsOf": c.Query("as_of"), "Policy": c.Query("policy")}
	if c.Query("as_of") != "" || c.Query("policy") != "" {
		var asOf civil.Date
		if v := c.Query("as_of"); v != "" {
			if asOf, err = civil.Parse(v); err != nil {
				return errs.Invalidf("INVALID_DATE", "pick a date")
			}
		}
		var candidate *policy.Document
		if v := c.Query("policy"); v != "" {
			if _, candidate, err = s.verdicts.Policies().Get(ctx, v); err != nil {
				return err
			}
		}
		imp, err := s.verdicts.Impact(ctx, candidate, asOf)
		if err != nil {
			return err
		}
		data["Impact"] = imp
	}
	return s.page(c, http.StatusOK, "impact.html", "Impact preview", data)
}

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
	"github.com/cascade-gate/cascade/vendors"
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
	return s.page(c, http.StatusOK, "Dashboard", &dashboardView{D: d, MarketChart: markets, ReasonChart: reasons, SunsetChart: sunset})
}

// dashboardView is the verdict counts, scorecards and their charts.
type dashboardView struct {
	pageData
	D                                     verdicts.Dashboard
	MarketChart, ReasonChart, SunsetChart barChart
}

func (*dashboardView) template() string { return "dashboard.html" }

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
	return s.page(c, http.StatusOK, "Products", &productsView{Rows: rows, Truncated: truncated, F: f,
		Markets: catalog.MarketCodes, Channels: catalog.Channels, Categories: catalog.Categories, Suppliers: suppliers})
}

// productsView is the verdicts a filter selects (at most 500), and the
// filter form with its choices.
type productsView struct {
	pageData
	Rows                          []verdicts.Row
	Truncated                     bool
	F                             verdicts.Filter
	Markets, Channels, Categories []string
	Suppliers                     []vendors.Supplier
}

func (*productsView) template() string { return "products.html" }

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
	return s.page(c, http.StatusOK, p.Brand+" "+p.Model, &productView{P: p, Supplier: sup.Name, Verdicts: views})
}

// productView is one product's declared data and its verdicts with their evidence.
type productView struct {
	pageData
	P        catalog.Product
	Supplier string
	Verdicts []verdictView
}

func (*productView) template() string { return "product.html" }

func (s *Server) listingsPage(c *gin.Context) error {
	if _, err := access.Require(c.Request.Context(), managers...); err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Listing feeds", &listingsView{Markets: catalog.MarketCodes, Formats: verdicts.ListingFormats})
}

// listingsView links each market's feeds in each format.
type listingsView struct {
	pageData
	Markets, Formats []string
}

func (*listingsView) template() string { return "listings.html" }

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
	v := &impactView{Versions: versions, AsOf: c.Query("as_of"), Policy: c.Query("policy")}
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
		v.Impact = &imp
	}
	return s.page(c, http.StatusOK, "Impact preview", v)
}

// impactView is the preview form and, once asked, what would flip.
type impactView struct {
	pageData
	Versions     []policy.Version
	AsOf, Policy string
	Impact       *verdicts.Impact // nil until a date or a version is chosen
}

func (*impactView) template() string { return "impact.html" }

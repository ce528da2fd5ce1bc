package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

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
	v := &dashboardView{D: d}
	maxV := 1
	for _, m := range d.Markets {
		maxV = max(maxV, m.Allowed, m.Blocked)
	}
	v.MarketChart = chart{Title: "Products by market and channel: allowed and blocked",
		Caption: "Bar lengths are on a logarithmic scale, so a small market stays visible beside a large one; the numbers are exact. Each bar opens its products."}
	for _, m := range d.Markets {
		allowed, blocked := m.Searches()
		total := m.Allowed + m.Blocked
		name := m.Market + " " + m.Channel
		v.MarketChart.Rows = append(v.MarketChart.Rows, chartRow{Label: name, Bars: []chartBar{
			{Width: logWidth(m.Allowed, maxV), Value: count(m.Allowed), Class: "allowed", Href: searchURL("/products", allowed, 0),
				Title: fmt.Sprintf("%s: %s of %s products allowed (%s)", name, count(m.Allowed), count(total), share(m.Allowed, total))},
			{Width: logWidth(m.Blocked, maxV), Value: count(m.Blocked), Class: "blocked", Href: searchURL("/products", blocked, 0),
				Title: fmt.Sprintf("%s: %s of %s products blocked (%s)", name, count(m.Blocked), count(total), share(m.Blocked, total))},
		}})
		v.Markets = append(v.Markets, marketCard{MarketCount: m, AllowedHref: searchURL("/products", allowed, 0),
			BlockedHref: searchURL("/products", blocked, 0), BlockedShare: share(m.Blocked, total)})
	}
	maxV = 1
	for _, r := range d.TopReasons {
		maxV = max(maxV, r.N)
	}
	v.ReasonChart = chart{Title: "Top blocking reasons: products each one blocks",
		Caption: "A product blocked by one reason in several markets counts once. Logarithmic bar lengths; each bar opens its products."}
	for _, r := range d.TopReasons {
		v.ReasonChart.Rows = append(v.ReasonChart.Rows, chartRow{Label: r.Label, Bars: []chartBar{{Width: logWidth(r.N, maxV), Value: count(r.N),
			Class: "blocked", Href: searchURL("/products", r.Search, 0), Title: fmt.Sprintf("%s blocks %s product(s)", r.Label, count(r.N))}}})
	}
	cal, err := s.verdicts.UpcomingCalendar(ctx, verdicts.CalendarFilter{})
	if err != nil {
		return err
	}
	v.Calendar = newBlockCalendar(cal)
	for _, sc := range d.Suppliers {
		v.Cards = append(v.Cards, scorecard{Scorecard: sc, Share: share(sc.Allowed, sc.Allowed+sc.Blocked),
			AllowedHref: searchURL("/products", sc.Search("allowed", false), 0), BlockedHref: searchURL("/products", sc.Search("blocked", false), 0),
			NewlyAllowedHref: searchURL("/products", sc.Search("allowed", true), 0), NewlyBlockedHref: searchURL("/products", sc.Search("blocked", true), 0)})
	}
	return s.page(c, http.StatusOK, "Dashboard", v)
}

// dashboardView is the dashboard's figures, each with the link to its list.
type dashboardView struct {
	pageData
	D                        verdicts.Dashboard
	Markets                  []marketCard
	MarketChart, ReasonChart chart
	Calendar                 blockCalendar // upcoming blocks by month and reason
	Cards                    []scorecard
}

func (*dashboardView) template() string { return "dashboard.html" }

// marketCard is one market and channel's figures and their lists.
type marketCard struct {
	verdicts.MarketCount
	AllowedHref, BlockedHref string
	BlockedShare             string
}

// scorecard is a supplier's scorecard with the list behind each figure.
type scorecard struct {
	verdicts.Scorecard
	Share                                                        string
	AllowedHref, BlockedHref, NewlyAllowedHref, NewlyBlockedHref string
}

// productsPage is the manager's product search: one row per product with
// its verdict chips, the true total, pages, and the export of the filter.
func (s *Server) productsPage(c *gin.Context) error {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, managers...); err != nil {
		return err
	}
	q, err := productSearch(c)
	if err != nil {
		return err
	}
	pg, err := s.verdicts.SearchProducts(ctx, q)
	if err != nil {
		return err
	}
	codes, suppliers, err := s.managerChoices(ctx)
	if err != nil {
		return err
	}
	export := q
	export.Offset, export.Limit = 0, 0
	return s.page(c, http.StatusOK, "Products", &productsView{L: newListPage("/products", q, pg), F: q, Codes: codes,
		Markets: catalog.MarketCodes, Channels: catalog.Channels, Categories: catalog.Categories, Suppliers: suppliers,
		CSV: exportURL(export, "csv"), XLSX: exportURL(export, "xlsx")})
}

// managerChoices are the choices of a manager's filter form that come from
// the data: the reasons a verdict can block for, and the suppliers.
func (s *Server) managerChoices(ctx context.Context) ([]string, []vendors.Supplier, error) {
	codes, err := s.verdicts.BlockingCodes(ctx)
	if err != nil {
		return nil, nil, err
	}
	suppliers, err := s.suppliers.List(ctx)
	return codes, suppliers, err
}

// productsView is a page of the products a search selects, the filter
// form with its choices, and the export links of the whole filter.
type productsView struct {
	pageData
	L                             listPage
	F                             verdicts.ProductSearch
	Codes                         []string
	Markets, Channels, Categories []string
	Suppliers                     []vendors.Supplier
	CSV, XLSX                     string
}

func (*productsView) template() string { return "products.html" }

// ChangedSince is the filter's change date as the form shows it.
func (v *productsView) ChangedSince() string {
	if v.F.ChangedSince.IsZero() {
		return ""
	}
	return v.F.ChangedSince.UTC().Format("2006-01-02")
}

// exportURL is the API address exporting every product q selects.
func exportURL(q verdicts.ProductSearch, format string) string {
	u := searchURL("/api/v1/product-verdicts", q, 0)
	if strings.Contains(u, "?") {
		return u + "&format=" + format
	}
	return u + "?format=" + format
}

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

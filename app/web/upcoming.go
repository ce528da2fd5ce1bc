package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/vendors"
)

// upcomingFilter reads which upcoming blocks a request asks for: the same
// parameters on the API, the /upcoming page and the calendar's links.
// within defaults to 90d, or with month to as far as the outlook looks
// (the month bounds it).
func upcomingFilter(c *gin.Context) (verdicts.UpcomingFilter, error) {
	f := verdicts.UpcomingFilter{Month: c.Query("month"), Code: c.Query("code"), Market: c.Query("market"), Channel: c.Query("channel")}
	var err error
	if f.SupplierID, err = queryInt(c, "supplier_id"); err != nil {
		return f, err
	}
	within := c.Query("within")
	if within == "" && f.Month == "" {
		within = "90d"
	}
	if within != "" {
		if f.WithinDays, err = verdicts.ParseWithin(within); err != nil {
			return f, err
		}
	}
	return f, nil
}

// upcomingURL is the address of path listing what f selects, with the
// page's query (page, per_page) when set.
func upcomingURL(path string, f verdicts.UpcomingFilter, extra url.Values) string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.WithinDays > 0 {
		v.Set("within", strconv.Itoa(f.WithinDays)+"d")
	}
	set("month", f.Month)
	set("code", f.Code)
	set("market", f.Market)
	set("channel", f.Channel)
	if f.SupplierID > 0 {
		v.Set("supplier_id", strconv.FormatInt(f.SupplierID, 10))
	}
	for k, vs := range extra {
		v[k] = vs
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// upcomingBlocks lists the verdicts allowed today that turn blocked within
// ?within= (default 90d), in ?month=, for ?code=: a page with its true
// total, or with ?format=csv every one of them.
func (s *Server) upcomingBlocks(c *gin.Context) error {
	ctx := c.Request.Context()
	f, err := upcomingFilter(c)
	if err != nil {
		return err
	}
	switch format := strings.ToLower(c.DefaultQuery("format", "json")); format {
	case "json":
	case "csv":
		list, err := s.verdicts.UpcomingBlocks(ctx, f)
		if err != nil {
			return err
		}
		// Written straight to the response, as the listing feed is: the
		// list is read whole before the status goes out, so a database
		// error still gets the JSON error.
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="cascade-upcoming-blocks.csv"`)
		c.Status(http.StatusOK)
		return verdicts.WriteUpcomingCSV(c.Writer, list)
	default:
		return errs.Invalidf("INVALID_FORMAT", "format must be json or csv")
	}
	return listed(c, func(r database.PageRequest) (database.Page[verdicts.Upcoming], error) {
		// Soonest first, so the cursor is the next page's position.
		var err error
		if f.Offset, err = r.Position(); err != nil {
			return database.Page[verdicts.Upcoming]{}, err
		}
		total, err := s.verdicts.CountUpcomingBlocks(ctx, f)
		if err != nil {
			return database.Page[verdicts.Upcoming]{}, err
		}
		f.Limit = r.Size()
		list, err := s.verdicts.UpcomingBlocks(ctx, f)
		if err != nil {
			return database.Page[verdicts.Upcoming]{}, err
		}
		p := database.Page[verdicts.Upcoming]{Items: list, Total: total, HasTotal: true}
		if end := int64(f.Offset + len(list)); len(list) > 0 && end < total {
			p.Next = []int64{end}
		}
		return p, nil
	})
}

// upcomingCalendar counts the upcoming blocks by month and reason.
func (s *Server) upcomingCalendar(c *gin.Context) error {
	f := verdicts.CalendarFilter{Market: c.Query("market"), Channel: c.Query("channel")}
	var err error
	if f.SupplierID, err = queryInt(c, "supplier_id"); err != nil {
		return err
	}
	months, err := queryInt(c, "months")
	if err != nil {
		return err
	}
	f.Months = int(min(months, 1<<10))
	cal, err := s.verdicts.UpcomingCalendar(c.Request.Context(), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, cal)
	return nil
}

// turnBlocked is "1 verdict turns blocked" or "n verdicts turn blocked".
func turnBlocked(n int) string {
	if n == 1 {
		return "1 verdict turns blocked"
	}
	return fmt.Sprintf("%s verdicts turn blocked", count(n))
}

// upcomingPage is the manager's list of upcoming blocks: the calendar's
// cells open it. A page of verdicts with the true total, the filter form,
// pages and the CSV export of the whole filter.
func (s *Server) upcomingPage(c *gin.Context) error {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, managers...); err != nil {
		return err
	}
	f, err := upcomingFilter(c)
	if err != nil {
		return err
	}
	per, err := queryInt(c, "per_page")
	if err != nil {
		return err
	}
	size := int(min(max(per, 0), verdicts.MaxPage))
	if size == 0 {
		size = verdicts.DefaultPage
	}
	page, err := queryInt(c, "page")
	if err != nil {
		return err
	}
	page = min(max(page, 1), 1<<20)
	total, err := s.verdicts.CountUpcomingBlocks(ctx, f)
	if err != nil {
		return err
	}
	f.Offset, f.Limit = int(page-1)*size, size
	rows, err := s.verdicts.UpcomingBlocks(ctx, f)
	if err != nil {
		return err
	}
	codes, suppliers, err := s.managerChoices(ctx)
	if err != nil {
		return err
	}
	f.Offset, f.Limit = 0, 0
	pageURL := func(n int) string {
		q := url.Values{"page": {strconv.Itoa(n)}}
		if size != verdicts.DefaultPage {
			q.Set("per_page", strconv.Itoa(size))
		}
		return upcomingURL("/upcoming", f, q)
	}
	v := &upcomingView{F: f, Rows: rows, pager: newPager(int(page-1)*size, size, len(rows), total, pageURL),
		Codes: codes, Markets: catalog.MarketCodes, Channels: catalog.Channels, Suppliers: suppliers,
		CSV: upcomingURL("/api/v1/verdicts/upcoming", f, url.Values{"format": {"csv"}})}
	if f.WithinDays > 0 {
		v.Within = strconv.Itoa(f.WithinDays) + "d"
	}
	return s.page(c, http.StatusOK, "Upcoming blocks", v)
}

// upcomingView is a page of upcoming blocks, the filter form with its
// choices, the pages around it and the export of the whole filter.
type upcomingView struct {
	pageData
	F      verdicts.UpcomingFilter
	Within string // the form's within, "" when the month bounds it
	Rows   []verdicts.Upcoming
	pager
	Codes             []string
	Markets, Channels []string
	Suppliers         []vendors.Supplier
	CSV               string
}

func (*upcomingView) template() string { return "upcoming.html" }

// MonthLabel is the filter's month as "Jan 2027", "" without one.
func (v *upcomingView) MonthLabel() string {
	if v.F.Month == "" {
		return ""
	}
	return monthLabel(v.F.Month)
}

package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// productSearch reads a product search from the query string: the same
// parameters on the pages, the API and the dashboard's links. page is
// 1-based; per_page is the page size.
func productSearch(c *gin.Context) (verdicts.ProductSearch, error) {
	q := verdicts.ProductSearch{Text: c.Query("q"), Category: c.Query("category"), Market: c.Query("market"), Channel: c.Query("channel"),
		Verdict: c.Query("verdict"), Code: c.Query("code"), SupportEndMonth: c.Query("support_end_month")}
	var err error
	if q.SupplierID, err = queryInt(c, "supplier_id"); err != nil {
		return q, err
	}
	if q.BatchID, err = queryInt(c, "batch_id"); err != nil {
		return q, err
	}
	if v := c.Query("changed_since"); v != "" {
		d, err := civil.Parse(v)
		if err != nil {
			return q, errs.Invalidf("INVALID_DATE", "changed_since must be a date such as 2027-01-04")
		}
		q.ChangedSince = d.Time()
	}
	per, err := queryInt(c, "per_page")
	if err != nil {
		return q, err
	}
	q.Limit = int(min(per, verdicts.MaxPage+1)) // Normalise refuses more than MaxPage
	if q.Limit == 0 {
		q.Limit = verdicts.DefaultPage
	}
	page, err := queryInt(c, "page")
	if err != nil {
		return q, err
	}
	if page > 1 {
		q.Offset = int(min(page-1, 1<<20)) * q.Limit
	}
	return q.Normalise()
}

// searchURL is the address of a list showing what q selects, from its first
// page (or page, if > 1).
func searchURL(path string, q verdicts.ProductSearch, page int) string {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", q.Text)
	if q.SupplierID > 0 {
		v.Set("supplier_id", strconv.FormatInt(q.SupplierID, 10))
	}
	if q.BatchID > 0 {
		v.Set("batch_id", strconv.FormatInt(q.BatchID, 10))
	}
	set("category", q.Category)
	set("market", q.Market)
	set("channel", q.Channel)
	set("verdict", q.Verdict)
	set("code", q.Code)
	set("support_end_month", q.SupportEndMonth)
	if !q.ChangedSince.IsZero() {
		v.Set("changed_since", q.ChangedSince.UTC().Format(time.DateOnly))
	}
	if q.Limit > 0 && q.Limit != verdicts.DefaultPage {
		v.Set("per_page", strconv.Itoa(q.Limit))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// listPage is a page of a product search with its rows and the links
// around it.
type listPage struct {
	pager
	Rows []listRow
}

// pager is where a page of a long list stands: the true total, the
// positions shown, and the links to the pages either side.
type pager struct {
	Total       int64
	First, Last int64 // the 1-based positions shown; 0 when none
	Page, Pages int
	Prev, Next  string // "" on the first (last) page
}

// newPager places the shown rows, from offset on in pages of limit, among
// total; pageURL links to a page by its number.
func newPager(offset, limit, shown int, total int64, pageURL func(page int) string) pager {
	p := pager{Total: total, Page: offset/limit + 1, Pages: int((total + int64(limit) - 1) / int64(limit))}
	if shown > 0 {
		p.First, p.Last = int64(offset)+1, int64(offset)+int64(shown)
	}
	if p.Page > 1 {
		p.Prev = pageURL(min(p.Page-1, max(p.Pages, 1)))
	}
	if p.Page < p.Pages {
		p.Next = pageURL(p.Page + 1)
	}
	return p
}

// listRow is one product: a chip per market and channel, its blocking reasons.
type listRow struct {
	verdicts.ProductVerdicts
	Chips []chip
}

// chip is a product's verdict in one market and channel, said in words and
// a symbol as well as colour.
type chip struct {
	Label, Verdict, Symbol, Title string
}

func newListPage(path string, q verdicts.ProductSearch, pg verdicts.ProductPage) listPage {
	l := listPage{pager: newPager(q.Offset, q.Limit, len(pg.Products), pg.Total, func(n int) string { return searchURL(path, q, n) })}
	for _, p := range pg.Products {
		r := listRow{ProductVerdicts: p}
		for _, v := range p.Verdicts {
			ch := chip{Label: v.Market + " " + shortChannel(v.Channel), Verdict: v.Verdict, Symbol: "✓",
				Title: fmt.Sprintf("%s %s: %s", v.Market, v.Channel, v.Verdict)}
			if v.Verdict != "allowed" {
				ch.Symbol = "✗"
				var codes []string
				for _, b := range p.Blocking {
					for _, w := range b.Where {
						if w == v.Market+" "+v.Channel {
							codes = append(codes, b.Code)
						}
					}
				}
				ch.Title += " by " + strings.Join(codes, ", ")
			}
			r.Chips = append(r.Chips, ch)
		}
		l.Rows = append(l.Rows, r)
	}
	return l
}

func shortChannel(ch string) string {
	if ch == "procurement" {
		return "proc."
	}
	return ch
}

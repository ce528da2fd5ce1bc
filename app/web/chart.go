package web

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// Charts are HTML, not SVG: text keeps the page's size on a 375 px phone
// (an SVG scaled to the screen shrinks its labels with it), rows reflow,
// and every bar is a link to the list of the products it counts.

// chart is a bar chart, one row per label.
type chart struct {
	Title   string
	Caption string
	Rows    []chartRow
}

// chartRow is a label and its bars (one, or two for allowed and blocked).
type chartRow struct {
	Label string
	Bars  []chartBar
}

// chartBar is one bar: its length in percent of the row, its exact value,
// what it counts in words (the tooltip) and the list behind it.
type chartBar struct {
	Width float64
	Value string
	Class string
	Title string
	Href  string
}

// logWidth is the bar length of v among values up to maxV, in percent, on
// a logarithmic scale: 10 beside 1,000,000 is still a visible bar, and any
// non-zero value is at least 1%.
func logWidth(v, maxV int) float64 {
	if v <= 0 || maxV <= 0 {
		return 0
	}
	w := math.Log10(float64(v)+1) / math.Log10(float64(maxV)+1) * 100
	return math.Round(math.Max(1, w)*10) / 10
}

// Percent is a bar's length in its SVG's 100 units: an attribute, not an
// inline style, which the Content-Security-Policy refuses.
func (b chartBar) Percent() string { return strconv.FormatFloat(b.Width, 'f', 1, 64) }

// count writes n with thousands separators: 1,000,000.
func count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// share is part of whole as a percentage that never hides a real block:
// 5 of 100,000 is "<1%", not "0%"; 99,995 is ">99%", not "100%".
func share(part, whole int) string {
	switch {
	case whole <= 0 || part <= 0:
		return "0%"
	case part >= whole:
		return "100%"
	}
	p := float64(part) * 100 / float64(whole)
	switch {
	case p < 1:
		return "<1%"
	case p > 99:
		return ">99%"
	}
	return strconv.Itoa(int(math.Round(p))) + "%"
}

// swatches is how many reason colours the calendar's stylesheet has
// (.swatch-0 to .swatch-5); the code is always written beside its colour.
const swatches = 6

// blockCalendar is the dashboard's calendar of upcoming blocks: one cell a
// month with its total, the reasons inside it, and a legend of the
// reasons; every figure links to the list of the verdicts it counts.
type blockCalendar struct {
	Months       []blockMonth
	Legend       []blockReason
	AllHref      string // every upcoming block the calendar counts
	KnownThrough string // "" when the policy's outlook covers every month
}

// blockMonth is one month: its verdicts turning blocked and their reasons.
type blockMonth struct {
	Month   string // "Jan 2027": a month, never mistaken for a date
	N       string
	Level   int // 0 (none) to 4, on a logarithmic scale, for the shading
	Title   string
	Href    string
	Reasons []blockCell // the reasons with a verdict that month, legend order
}

// blockCell is one reason in one month.
type blockCell struct {
	Code        string
	Swatch      int
	N           string
	Title, Href string
}

// blockReason is one reason of the legend, with its total.
type blockReason struct {
	Code, Message string
	Swatch        int
	N             string
	Title, Href   string
}

// newBlockCalendar lays out c.
func newBlockCalendar(c verdicts.Calendar) blockCalendar {
	v := blockCalendar{AllHref: upcomingURL("/upcoming", c.Filter("", ""), nil)}
	if c.Short() {
		v.KnownThrough = c.KnownThrough.String()
	}
	for i, r := range c.Reasons {
		v.Legend = append(v.Legend, blockReason{Code: r.Code, Message: r.Message, Swatch: i % swatches, N: count(r.Total),
			Title: fmt.Sprintf("%s: %s in the next %d months", r.Code, turnBlocked(r.Total), len(c.Months)),
			Href:  upcomingURL("/upcoming", c.Filter("", r.Code), nil)})
	}
	maxN := 1
	for _, n := range c.Totals {
		maxN = max(maxN, n)
	}
	for i, m := range c.Months {
		label := monthLabel(m)
		n := c.Totals[i]
		bm := blockMonth{Month: label, N: count(n), Href: upcomingURL("/upcoming", c.Filter(m, ""), nil),
			Title: fmt.Sprintf("%s: %s", label, turnBlocked(n))}
		if n > 0 {
			bm.Level = 1 + int(math.Min(3, math.Floor(logWidth(n, maxN)/100*3.999)))
		}
		for k, r := range c.Reasons {
			if r.Counts[i] == 0 {
				continue
			}
			bm.Reasons = append(bm.Reasons, blockCell{Code: r.Code, Swatch: k % swatches, N: count(r.Counts[i]),
				Title: fmt.Sprintf("%s: %s by %s", label, turnBlocked(r.Counts[i]), r.Code),
				Href:  upcomingURL("/upcoming", c.Filter(m, r.Code), nil)})
		}
		v.Months = append(v.Months, bm)
	}
	return v
}

// monthLabel writes YYYY-MM as "Jan 2027".
func monthLabel(yyyymm string) string {
	if t, err := time.Parse("2006-01", yyyymm); err == nil {
		return t.Format("Jan 2006")
	}
	return yyyymm
}

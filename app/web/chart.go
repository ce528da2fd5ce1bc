package web

import (
	"fmt"
	"math"
	"strconv"
	"time"
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

// monthCell is one month of the sunset calendar.
type monthCell struct {
	Month string // "Jan 2027": a month, never mistaken for a date
	N     string
	Level int // 0 (none) to 4, on a logarithmic scale, for the shading
	Title string
	Href  string
}

// newMonthCell lays out one month of n products among months up to maxN.
func newMonthCell(yyyymm string, n, maxN int, href string) monthCell {
	label := yyyymm
	if t, err := time.Parse("2006-01", yyyymm); err == nil {
		label = t.Format("Jan 2006")
	}
	c := monthCell{Month: label, N: count(n), Href: href,
		Title: fmt.Sprintf("%s: %s product(s) allowed in retail whose security support ends that month", label, count(n))}
	if n > 0 {
		c.Level = 1 + int(math.Min(3, math.Floor(logWidth(n, maxN)/100*3.999)))
	}
	return c
}

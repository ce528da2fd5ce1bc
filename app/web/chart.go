package web

import "fmt"

// bar is one bar of a server-rendered SVG chart.
type bar struct {
	Label      string
	Value      int
	X, Y, W, H int
	Class      string
	Title      string
}

// barChart lays out bars for an SVG of width w and height h: readable
// without JavaScript, scaled to the largest value.
type barChart struct {
	Width, Height int
	Bars          []bar
	Title         string
}

func newBarChart(title string, labels []string, values []int, classes []string, width, height int) barChart {
	maxV := 1
	for _, v := range values {
		maxV = max(maxV, v)
	}
	c := barChart{Width: width, Height: height, Title: title}
	n := max(1, len(values))
	slot := width / n
	plot := height - 34 // room for labels under the bars
	for i, v := range values {
		h := v * plot / maxV
		class := ""
		if i < len(classes) {
			class = classes[i]
		}
		c.Bars = append(c.Bars, bar{Label: labels[i], Value: v, X: i*slot + slot/8, Y: plot - h + 14, W: max(2, slot*3/4), H: h, Class: class,
			Title: fmt.Sprintf("%s: %d", labels[i], v)})
	}
	return c
}

// newHBarChart lays out horizontal bars, one per row, for long labels such
// as reason codes: the label sits above its bar.
func newHBarChart(title string, labels []string, values []int, width int) barChart {
	maxV := 1
	for _, v := range values {
		maxV = max(maxV, v)
	}
	const row = 30
	c := barChart{Width: width, Height: max(row, len(values)*row), Title: title}
	for i, v := range values {
		w := v * (width - 60) / maxV
		c.Bars = append(c.Bars, bar{Label: labels[i], Value: v, X: 0, Y: i*row + 13, W: max(2, w), H: 12,
			Title: fmt.Sprintf("%s: %d", labels[i], v)})
	}
	return c
}

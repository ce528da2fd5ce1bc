package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

var comparisonTypes = map[string]string{"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8", "xlsx": xlsxType}

// schemeComparison serves the scheme comparison as JSON, CSV or XLSX (?format=).
func (s *Server) schemeComparison(c *gin.Context) error {
	format := strings.ToLower(c.DefaultQuery("format", "json"))
	ct, ok := comparisonTypes[format]
	if !ok {
		return errs.Invalidf("INVALID_FORMAT", "format must be json, csv or xlsx")
	}
	cmp, err := s.verdicts.CompareSchemes(c.Request.Context())
	if err != nil {
		return err
	}
	var buf bytes.Buffer // a few rows per scheme: written whole, so a failure is still an error answer
	if err := verdicts.WriteComparison(&buf, cmp, format); err != nil {
		return err
	}
	if format != "json" {
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="cascade-scheme-comparison-%s.%s"`, cmp.AsOf, format))
	}
	c.Data(http.StatusOK, ct, buf.Bytes())
	return nil
}

// schemesPage is the scheme comparison for category managers and admins.
func (s *Server) schemesPage(c *gin.Context) error {
	cmp, err := s.verdicts.CompareSchemes(c.Request.Context())
	if err != nil {
		return err
	}
	v := &schemesView{C: cmp}
	maxN := 1
	for _, st := range cmp.Schemes {
		maxN = max(maxN, st.Valid, st.Labelled-st.Valid)
	}
	v.StatusChart = chart{Title: "Labelled products per scheme: valid and not valid",
		Caption: "Not valid: suspended, revoked, expired or not in the registry. Logarithmic bars; each opens the table below."}
	for _, st := range cmp.Schemes {
		bar := func(n int, class, what string) chartBar {
			return chartBar{Width: logWidth(n, maxN), Value: count(n), Class: class, Href: "#scheme-stats",
				Title: fmt.Sprintf("%s: %s of %s labelled products %s", st.Scheme, count(n), count(st.Labelled), what)}
		}
		v.StatusChart.Rows = append(v.StatusChart.Rows, chartRow{Label: st.Scheme, Bars: []chartBar{
			bar(st.Valid, "allowed", "valid"), bar(st.Labelled-st.Valid, "blocked", "not valid")}})
	}
	v.PairChart = chart{Title: "Products labelled by two schemes: how the schemes agree", Caption: "Logarithmic bars; each opens the matrix above."}
	maxP := 1
	for _, p := range cmp.Pairs {
		maxP = max(maxP, p.SameTier, p.AHigher+p.BHigher, p.ValidityDisagrees)
	}
	for _, p := range cmp.Pairs {
		var bars []chartBar
		for _, part := range []struct {
			what, class string
			n           int
		}{{"same tier", "allowed", p.SameTier}, {"tiers differ", "warn", p.AHigher + p.BHigher}, {"validity disagrees", "blocked", p.ValidityDisagrees}} {
			if part.n > 0 {
				bars = append(bars, chartBar{Width: logWidth(part.n, maxP), Value: count(part.n), Class: part.class, Href: "#scheme-matrix",
					Title: fmt.Sprintf("%s / %s: %s of %s products %s", p.A, p.B, count(part.n), count(p.Products), part.what)})
			}
		}
		if len(bars) > 0 {
			v.PairChart.Rows = append(v.PairChart.Rows, chartRow{Label: p.A + " / " + p.B, Bars: bars})
		}
	}
	for _, a := range cmp.Schemes {
		row := matrixRow{Scheme: a.Scheme}
		for _, b := range cmp.Schemes {
			row.Cells = append(row.Cells, matrixCell(cmp.Pairs, a.Scheme, b.Scheme))
		}
		v.Matrix = append(v.Matrix, row)
	}
	return s.page(c, http.StatusOK, "Scheme comparison", v)
}

// matrixRow is one scheme's row of the scheme x scheme matrix.
type matrixRow struct {
	Scheme string
	Cells  []*pairCell
}

// pairCell is how the row's scheme compares with the column's, seen from the row.
type pairCell struct {
	Products, SameTier, RowHigher, ColumnHigher, ValidityDisagrees int
}

func matrixCell(pairs []policy.PairStats, row, col string) *pairCell {
	for _, p := range pairs {
		switch {
		case p.A == row && p.B == col:
			return &pairCell{p.Products, p.SameTier, p.AHigher, p.BHigher, p.ValidityDisagrees}
		case p.A == col && p.B == row:
			return &pairCell{p.Products, p.SameTier, p.BHigher, p.AHigher, p.ValidityDisagrees}
		}
	}
	return nil // the diagonal
}

// schemesView is the comparison with its charts and matrix.
type schemesView struct {
	pageData
	C                      policy.Comparison
	StatusChart, PairChart chart
	Matrix                 []matrixRow
}

func (*schemesView) template() string { return "schemes.html" }

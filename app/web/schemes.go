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
	var labels []string
	var values []int
	var classes []string
	for _, st := range cmp.Schemes {
		labels = append(labels, st.Scheme+" valid", st.Scheme+" not")
		values = append(values, st.Valid, st.Labelled-st.Valid)
		classes = append(classes, "allowed", "blocked")
	}
	v.StatusChart = newBarChart("Labelled products per scheme: valid (green) and suspended, revoked, expired or unmatched (red)", labels, values, classes, 960, 240)
	labels, values = nil, nil
	for _, p := range cmp.Pairs {
		for _, part := range []struct {
			what string
			n    int
		}{{"same tier", p.SameTier}, {"tiers differ", p.AHigher + p.BHigher}, {"validity disagrees", p.ValidityDisagrees}} {
			if part.n > 0 {
				labels, values = append(labels, p.A+" / "+p.B+": "+part.what), append(values, part.n)
			}
		}
	}
	v.PairChart = newHBarChart("Products labelled by two schemes: how the schemes agree", labels, values, 960)
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
	StatusChart, PairChart barChart
	Matrix                 []matrixRow
}

func (*schemesView) template() string { return "schemes.html" }

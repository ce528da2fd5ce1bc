package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// blankMappingRows is how many empty rows the mapping form offers for new headers.
const blankMappingRows = 3

// mappingPage shows a supplier's saved column mapping as a form: the
// supplier's own, or any supplier's for category managers and admins.
func (s *Server) mappingPage(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.batches.Mapping(ctx, id)
	if err != nil {
		return err
	}
	sup, err := s.suppliers.Get(ctx, id)
	if err != nil {
		return err
	}
	v := &mappingView{Supplier: sup}
	for _, c := range imports.Columns {
		v.Columns = append(v.Columns, c.Name)
	}
	headers := make([]string, 0, len(m))
	for h := range m {
		headers = append(headers, h)
	}
	sort.Strings(headers)
	for _, h := range headers {
		v.Rows = append(v.Rows, mappingRow{Header: h, Column: m[h]})
	}
	for range blankMappingRows {
		v.Rows = append(v.Rows, mappingRow{})
	}
	return s.page(c, http.StatusOK, "Column mapping of "+sup.Name, v)
}

// saveMappingPage saves the form's rows (header and column, repeated; rows
// without a header are left out) as the supplier's whole mapping.
func (s *Server) saveMappingPage(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	headers, columns := c.PostFormArray("header"), c.PostFormArray("column")
	if len(headers) != len(columns) {
		return errs.Invalidf("INVALID_MAPPING", "send each header with its column")
	}
	m := imports.Mapping{}
	for i, h := range headers {
		if strings.TrimSpace(h) == "" {
			continue
		}
		if _, dup := m[h]; dup {
			return errs.Invalidf("INVALID_MAPPING", "the header %q is given twice", h)
		}
		m[h] = columns[i]
	}
	if _, err := s.batches.SetMapping(c.Request.Context(), id, m); err != nil {
		return err
	}
	return back(c, fmt.Sprintf("/suppliers/%d/mapping", id), noticeMappingSaved)
}

// mappingView is one supplier's mapping as form rows, with the columns to choose from.
type mappingView struct {
	pageData
	Supplier vendors.Supplier
	Rows     []mappingRow
	Columns  []string
}

type mappingRow struct{ Header, Column string }

func (*mappingView) template() string { return "supplier_mapping.html" }

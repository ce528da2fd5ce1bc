package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

var exportTypes = map[string]string{"csv": "text/csv; charset=utf-8", "xlsx": xlsxType}

// searchProducts answers a product search: a page with the true total as
// JSON, or every product of the filter as CSV or XLSX.
func (s *Server) searchProducts(c *gin.Context) error {
	ctx := c.Request.Context()
	q, err := productSearch(c)
	if err != nil {
		return err
	}
	format := strings.ToLower(c.DefaultQuery("format", "json"))
	if format == "json" {
		return listed(c, func(r database.PageRequest) (database.Page[verdicts.ProductVerdicts], error) {
			// The search is in SKU order, so its cursor is the position of
			// the next page (the pages' own ?page= is for people).
			offset, err := r.Position()
			if err != nil {
				return database.Page[verdicts.ProductVerdicts]{}, err
			}
			q.Limit, q.Offset = min(r.Size(), verdicts.MaxPage), offset
			pg, err := s.verdicts.SearchProducts(ctx, q)
			if err != nil {
				return database.Page[verdicts.ProductVerdicts]{}, err
			}
			out := database.Page[verdicts.ProductVerdicts]{Items: pg.Products, Total: pg.Total, HasTotal: true}
			if end := int64(q.Offset + len(pg.Products)); len(pg.Products) > 0 && end < pg.Total {
				out.Next = []int64{end}
			}
			return out, nil
		})
	}
	if err := verdicts.CheckExportFormat(format); err != nil {
		return err
	}
	// Refusals must come before the 200: the export streams.
	if _, err := access.Require(ctx, access.Admin, access.CategoryManager, access.Supplier); err != nil {
		return err
	}
	c.Header("Content-Type", exportTypes[format])
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="cascade-products.%s"`, format))
	c.Status(http.StatusOK)
	return s.verdicts.ExportProducts(ctx, q, format, c.Writer)
}

// blockedWorkbook is every blocked product of a supplier as a fix workbook.
func (s *Server) blockedWorkbook(c *gin.Context) error {
	supplierID, err := queryInt(c, "supplier_id")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.batches.WriteBlockedWorkbook(c.Request.Context(), supplierID, &buf); err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="cascade-blocked-products.xlsx"`)
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
	return nil
}

package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
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
		pg, err := s.verdicts.SearchProducts(ctx, q)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, pg)
		return nil
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

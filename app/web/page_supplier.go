package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
)

// supplierHome is the upload page with the supplier's recent imports.
func (s *Server) supplierHome(c *gin.Context) error {
	ctx := c.Request.Context()
	if _, err := access.Require(ctx, access.Supplier); err != nil {
		return err
	}
	batches, err := s.batches.Batches(ctx, 0, 20)
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Upload products", &supplierHomeView{Batches: batches})
}

// supplierHomeView is the upload form and the supplier's recent imports.
type supplierHomeView struct {
	pageData
	Batches []imports.Batch
}

func (*supplierHomeView) template() string { return "supplier_home.html" }

// supplierUpload starts an import of the uploaded file and shows its progress.
func (s *Server) supplierUpload(c *gin.Context) error {
	ctx := c.Request.Context()
	// Checked before the upload is read to disk (the importer checks again).
	p, err := access.Require(ctx, access.Supplier)
	if err != nil {
		return err
	}
	up, err := s.receiveUpload(c)
	if err != nil {
		return err
	}
	batch, err := s.background.Start(ctx, imports.Request{SupplierID: p.SupplierID, FileName: up.name, Path: up.path, RequestID: c.GetString(requestIDKey)})
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/supplier/imports/%d", batch.ID))
	return nil
}

// supplierImport shows one import: live progress while it runs, then the
// counts, every rejected row and blocked product, and the fix workbook.
func (s *Server) supplierImport(c *gin.Context) error {
	ctx := c.Request.Context()
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	b, err := s.batches.Batch(ctx, id)
	if err != nil {
		return err
	}
	rowErrs, err := s.batches.Errors(ctx, id)
	if err != nil {
		return err
	}
	// Warnings about one row (a disputed GTIN) go in a table of their own;
	// warnings about the file stay above it.
	var fileWarnings, rowWarnings []imports.Warning
	for _, w := range b.Warnings {
		if w.Row > 0 {
			rowWarnings = append(rowWarnings, w)
		} else {
			fileWarnings = append(fileWarnings, w)
		}
	}
	v := &supplierImportView{B: b, Errors: rowErrs, FileWarnings: fileWarnings, RowWarnings: rowWarnings}
	if b.Status == imports.StatusRunning {
		v.Refresh = 3 // without JavaScript the page reloads itself
	} else {
		if v.Blocked, err = s.blockedOf(c, b.SupplierID); err != nil {
			return err
		}
	}
	return s.page(c, http.StatusOK, "Import "+b.FileName, v)
}

// supplierImportView is one import: its progress, or its counts, rejected
// rows, warnings and the products stored but blocked.
type supplierImportView struct {
	pageData
	B                         imports.Batch
	Errors                    []imports.RowError
	FileWarnings, RowWarnings []imports.Warning
	Blocked                   []productRow
}

func (*supplierImportView) template() string { return "supplier_import.html" }

// productRow is a product with its verdicts by market and channel.
type productRow struct {
	Product   catalog.Product
	Verdicts  map[string]string // "UK retail" -> allowed/blocked
	Reasons   []string          // blocking codes, each once
	Details   []policy.Reason   // the blocking reasons, each once, with message and fix
	Unclaimed []string          // labels registries list for the model, not claimed
}

// productRows gathers the caller's products (filtered) with their stored verdicts.
func (s *Server) productRows(c *gin.Context, f catalog.ProductFilter) ([]productRow, error) {
	ctx := c.Request.Context()
	products, err := s.products.Products(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]productRow, 0, len(products))
	for _, p := range products {
		vs, err := s.verdicts.ProductVerdicts(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		row := productRow{Product: p, Verdicts: map[string]string{}}
		seen := map[string]bool{}
		for _, v := range vs {
			row.Verdicts[v.Market+" "+v.Channel] = v.Verdict
			var reasons []policy.Reason
			_ = json.Unmarshal(v.Reasons, &reasons)
			for _, r := range reasons {
				if r.Severity == policy.Block && !seen[r.Code] {
					seen[r.Code] = true
					row.Reasons = append(row.Reasons, r.Code)
					row.Details = append(row.Details, r)
				}
				if r.Code == "LABEL_AVAILABLE_UNCLAIMED" && len(row.Unclaimed) == 0 {
					row.Unclaimed = r.Labels
				}
			}
		}
		sort.Strings(row.Reasons)
		out = append(out, row)
	}
	return out, nil
}

// blockedOf lists a supplier's products that are blocked somewhere.
func (s *Server) blockedOf(c *gin.Context, supplierID int64) ([]productRow, error) {
	rows, err := s.productRows(c, catalog.ProductFilter{SupplierID: supplierID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []productRow
	for _, r := range rows {
		if len(r.Reasons) > 0 {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Server) supplierProducts(c *gin.Context) error {
	if _, err := access.Require(c.Request.Context(), access.Supplier); err != nil {
		return err
	}
	rows, err := s.productRows(c, catalog.ProductFilter{Limit: 1000})
	if err != nil {
		return err
	}
	upcoming, err := s.verdicts.UpcomingBlocks(c.Request.Context(), verdicts.UpcomingFilter{WithinDays: verdicts.NoticeDays})
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "My products", &supplierProductsView{Rows: rows, Columns: verdictColumns(rows), Upcoming: upcoming})
}

// supplierProductsView is the supplier's products with a column of
// verdicts for each market and channel present, and the verdicts that turn
// blocked within the notice period (templates/upcoming_blocks.html).
type supplierProductsView struct {
	pageData
	Rows     []productRow
	Columns  []string
	Upcoming []verdicts.Upcoming
}

func (*supplierProductsView) template() string { return "supplier_products.html" }

// verdictColumns are the market/channel pairs present, in a stable order.
func verdictColumns(rows []productRow) []string {
	seen := map[string]bool{}
	var cols []string
	for _, m := range catalog.MarketCodes {
		for _, ch := range catalog.Channels {
			k := m + " " + ch
			for _, r := range rows {
				if _, ok := r.Verdicts[k]; ok && !seen[k] {
					seen[k] = true
					cols = append(cols, k)
				}
			}
		}
	}
	return cols
}

package web

import (
	"fmt"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
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
	batches, err := s.batches.Batches(ctx, 0, database.PageRequest{Limit: 20})
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Upload products", &supplierHomeView{Batches: batches.Items})
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

// supplierCheck runs a dry run of the uploaded file ("Check my file") and
// shows what its import would do; nothing is stored.
func (s *Server) supplierCheck(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := access.Require(ctx, access.Supplier)
	if err != nil {
		return err
	}
	up, err := s.receiveUpload(c)
	if err != nil {
		return err
	}
	defer os.Remove(up.path)
	dry, err := s.importer.DryRun(ctx, imports.Request{SupplierID: p.SupplierID, FileName: up.name, Path: up.path, RequestID: c.GetString(requestIDKey)})
	if err != nil {
		return err
	}
	v := &supplierCheckView{D: dry}
	for _, w := range dry.Verdicts {
		if w.Verdict != policy.Allowed {
			v.Blocked = append(v.Blocked, w)
		}
	}
	return s.page(c, http.StatusOK, "Check of "+dry.Import.FileName, v)
}

// supplierCheckView is a dry run: what the import would do, its row errors
// and the verdicts that would block.
type supplierCheckView struct {
	pageData
	D       imports.DryRun
	Blocked []imports.WouldBeRow
}

func (*supplierCheckView) template() string { return "supplier_check.html" }

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
	switch b.Status {
	case imports.StatusRunning:
		v.Refresh = 3 // without JavaScript the page reloads itself
		// Every row read, the products and verdicts are still being written.
		v.Writing = b.RowsTotal > 0 && b.RowsProcessed >= b.RowsTotal
	case imports.StatusCommitted:
		// What this file did: the products it stored that are blocked, by channel.
		mine := verdicts.ProductSearch{BatchID: b.ID, SupplierID: b.SupplierID, Verdict: policy.Blocked, Limit: 20}
		for _, ch := range []string{"retail", "procurement"} {
			q := mine
			q.Channel = ch
			pg, err := s.verdicts.SearchProducts(ctx, q)
			if err != nil {
				return err
			}
			q.Limit = 0 // the work list's own page size
			v.BlockedBy = append(v.BlockedBy, channelCount{Channel: ch, N: pg.Total, Link: searchURL("/supplier/products", q, 0)})
		}
		pg, err := s.verdicts.SearchProducts(ctx, mine)
		if err != nil {
			return err
		}
		v.Blocked = newListPage("/supplier/products", mine, pg)
		mine.Limit = 0
		v.AllBlocked = searchURL("/supplier/products", mine, 0)
	}
	return s.page(c, http.StatusOK, "Import "+b.FileName, v)
}

// supplierImportView is one import: its progress; or what it did (counts,
// rejected rows, warnings, the products it stored that are blocked, by
// channel); or, refused, its error and what to do.
type supplierImportView struct {
	pageData
	B                         imports.Batch
	Writing                   bool // every row read, the commit running
	Errors                    []imports.RowError
	FileWarnings, RowWarnings []imports.Warning
	BlockedBy                 []channelCount
	Blocked                   listPage // the first of them
	AllBlocked                string   // the work list of all of them
}

func (*supplierImportView) template() string { return "supplier_import.html" }

// channelCount is a number of products blocked in one channel, with its list.
type channelCount struct {
	Channel string
	N       int64
	Link    string
}

// supplierProducts is the supplier's work list: one row per product with a
// chip per market and channel, the blocking reasons with message and fix,
// filters, search and pages.
func (s *Server) supplierProducts(c *gin.Context) error {
	ctx := c.Request.Context()
	p, err := access.Require(ctx, access.Supplier)
	if err != nil {
		return err
	}
	q, err := productSearch(c)
	if err != nil {
		return err
	}
	q.SupplierID = p.SupplierID
	pg, err := s.verdicts.SearchProducts(ctx, q)
	if err != nil {
		return err
	}
	codes, err := s.verdicts.BlockingCodes(ctx)
	if err != nil {
		return err
	}
	upcoming, err := s.verdicts.UpcomingBlocks(ctx, verdicts.UpcomingFilter{WithinDays: verdicts.NoticeDays})
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "My products", &supplierProductsView{L: newListPage("/supplier/products", q, pg), F: q,
		Codes: codes, Markets: catalog.MarketCodes, Channels: catalog.Channels, Upcoming: upcoming})
}

// supplierProductsView is the supplier's work list and its filter form.
type supplierProductsView struct {
	pageData
	L                 listPage
	F                 verdicts.ProductSearch
	Codes             []string
	Markets, Channels []string
	Upcoming          []verdicts.Upcoming // what turns blocked within the notice period (templates/upcoming_blocks.html)
}

func (*supplierProductsView) template() string { return "supplier_products.html" }

// Filtered says whether any filter narrows the list.
func (v *supplierProductsView) Filtered() bool {
	f := v.F
	return f.Text != "" || f.Market != "" || f.Channel != "" || f.Verdict != "" || f.Code != "" || f.BatchID > 0 || f.SupportEndMonth != ""
}

package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/imports"
)

// uploadImport accepts a supplier file, either as multipart/form-data (field
// "file", optional field "supplier_id") or as the raw request body with
// ?file_name=. It answers 202 with the running batch to poll, or, with
// ?wait=true, the finished batch; with ?dry_run=true, what the import would
// do (imports.DryRun), storing nothing.
func (s *Server) uploadImport(c *gin.Context) error {
	ctx := c.Request.Context()
	// Checked here as well as in the importer: a role that may not import is
	// refused before its upload (up to the file limit) is read to disk.
	p, err := access.Require(ctx, access.Admin, access.Supplier)
	if err != nil {
		return err
	}
	if err := onlyQuery(c, "file_name", "supplier_id", "dry_run", "wait"); err != nil {
		return err
	}
	dryRun, err := queryBool(c, "dry_run")
	if err != nil {
		return err
	}
	wait, err := queryBool(c, "wait")
	if err != nil {
		return err
	}
	up, err := s.receiveUpload(c)
	if err != nil {
		return err
	}
	supplierID := p.SupplierID
	if p.Role != access.Supplier {
		if supplierID, err = strconv.ParseInt(up.supplierID, 10, 64); err != nil || supplierID <= 0 {
			os.Remove(up.path)
			return errs.Invalidf("MISSING_SUPPLIER", "say which supplier the file belongs to: supplier_id")
		}
	}
	req := imports.Request{SupplierID: supplierID, FileName: up.name, Path: up.path, RequestID: c.GetString(requestIDKey)}
	if dryRun {
		defer os.Remove(up.path)
		dry, err := s.importer.DryRun(ctx, req)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, dry)
		return nil
	}
	if wait {
		defer os.Remove(up.path)
		batch, err := s.importer.Import(ctx, req)
		if err != nil {
			return err
		}
		c.JSON(http.StatusCreated, gin.H{"import": batch})
		return nil
	}
	batch, err := s.background.Start(ctx, req)
	if err != nil {
		return err
	}
	c.Header("Location", fmt.Sprintf("/api/v1/imports/%d", batch.ID))
	c.JSON(http.StatusAccepted, gin.H{"import": batch})
	return nil
}

// logImportFailure logs why a background import failed, with the request
// that started it: the batch shows the supplier only a code and a safe
// message quoting that request id.
func (s *Server) logImportFailure(b imports.Batch, req imports.Request, err error) {
	level := slog.LevelWarn // the supplier's file: the batch already says what to fix
	if errs.KindOf(err) == errs.Internal || errs.KindOf(err) == errs.Unavailable {
		level = slog.LevelError
	}
	s.log.Log(context.Background(), level, "import failed", "batch", b.ID, "err", err, "request_id", req.RequestID)
}

type upload struct {
	path, name, supplierID string
}

// receiveUpload streams the file to a temporary file, never into memory.
func (s *Server) receiveUpload(c *gin.Context) (upload, error) {
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	up := upload{supplierID: c.Query("supplier_id"), name: c.Query("file_name")}
	tmp, err := os.CreateTemp(s.uploadDir, "cascade-upload-*")
	if err != nil {
		return up, err
	}
	up.path = tmp.Name()
	fail := func(err error) (upload, error) {
		tmp.Close()
		os.Remove(up.path)
		if isMaxBytes(err) {
			return up, errs.E(errs.TooLarge, "FILE_TOO_LARGE", "the upload is larger than the %d MB accepted", s.importLimits.MaxFileBytes>>20)
		}
		return up, err
	}
	var n int64
	if mt == "multipart/form-data" {
		mr, err := c.Request.MultipartReader()
		if err != nil {
			return fail(errs.Invalidf("MALFORMED_UPLOAD", "the multipart body cannot be read: %v", err))
		}
		found := false
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fail(errs.Invalidf("MALFORMED_UPLOAD", "the multipart body cannot be read: %v", err))
			}
			switch part.FormName() {
			case "file":
				up.name, found = part.FileName(), true
				if n, err = io.Copy(tmp, part); err != nil {
					return fail(err)
				}
			case "supplier_id":
				b, _ := io.ReadAll(io.LimitReader(part, 32))
				up.supplierID = string(bytes.TrimSpace(b))
			}
		}
		if !found {
			return fail(errs.Invalidf("MISSING_FILE", "send the spreadsheet in the multipart field \"file\""))
		}
	} else if n, err = io.Copy(tmp, c.Request.Body); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if n == 0 {
		os.Remove(up.path)
		return up, errs.Invalidf("EMPTY_FILE", "the uploaded file is empty")
	}
	return up, nil
}

func (s *Server) listImports(c *gin.Context) error {
	supplierID, err := queryInt(c, "supplier_id")
	if err != nil {
		return err
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	page, err := s.batches.Batches(c.Request.Context(), supplierID, r)
	if err != nil {
		return err
	}
	writePage(c, page)
	return nil
}

func (s *Server) getImport(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	b, err := s.batches.Batch(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"import": b})
	return nil
}

func (s *Server) importErrors(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	page, err := s.batches.ErrorsPage(c.Request.Context(), id, r)
	if err != nil {
		return err
	}
	writePage(c, page)
	return nil
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) fixWorkbook(c *gin.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.batches.WriteFixWorkbook(c.Request.Context(), id, &buf); err != nil {
		return err
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="cascade-fix-%d.xlsx"`, id))
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
	return nil
}

func (s *Server) template(c *gin.Context) error {
	schemes, err := s.products.SchemeCodes(c.Request.Context())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := imports.WriteTemplate(&buf, schemes); err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="cascade-template.xlsx"`)
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
	return nil
}

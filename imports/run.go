package imports

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/tabular"
	"github.com/cascade-gate/cascade/catalog"
)

// run is the state of one import while it executes.
type run struct {
	im      *Importer
	batch   Batch
	req     Request
	layout  *layout
	conn    *gorm.DB // the one connection the import holds, with its staging
	staging *staging
	cells   *cellSpool // the staged rows as written
	next    chunk      // what the parse has collected since it last sent a chunk

	// The data rows the file holds (its reader's own count) and the empty
	// ones among them, for the check that every row is accounted for.
	held, skipped int

	// The staged columns for this file's layout: positions in stagedColumns, names.
	stagedPositions []int
	stagedNames     []string
	boxes           stagedBoxes
	// Whether the staged rows' SKUs and GTINs came in increasing order.
	skuOrder, gtinOrder increasing

	// dry, for a dry run (DryRun), collects what the run would store; the
	// batch is then recorded only inside the commit's transaction, which is
	// rolled back.
	dry *dryRun
}

func (r *run) execute(ctx context.Context) error {
	sh, format, err := tabular.Open(r.req.Path, r.im.limits.file(), "Products")
	if err != nil {
		return err
	}
	defer sh.Close()
	r.batch.Format = format
	schemes, err := r.knownSchemes(ctx)
	if err != nil {
		return err
	}
	var supplier string
	if err := r.im.db.WithContext(ctx).Table("suppliers").Where("id = ?", r.batch.SupplierID).Pluck("name", &supplier).Error; err != nil {
		return err
	}
	mapping, err := uploadMapping(ctx, r.im.db, r.batch.SupplierID)
	if err != nil {
		return err
	}
	if r.cells, err = newCellSpool(); err != nil {
		return err
	}
	defer r.cells.close()
	return r.im.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		defer discardConnection(conn)
		if r.staging, err = openStaging(ctx, conn); err != nil {
			return err
		}
		defer r.staging.close()
		r.conn = conn
		if err := r.parseAndStage(ctx, &parser{sheet: sh, schemes: schemes, mapping: mapping, limits: r.im.limits, supplier: supplier, supplierCol: -1}); err != nil {
			return err
		}
		// Outside the commit's transaction, so that the write lock is not
		// held while they are built; a first import needs an index only
		// to look for repeats its rows' order has not ruled out (the
		// commit checks again that it is one).
		first, err := r.firstImport(conn)
		if err != nil {
			return err
		}
		if err := r.staging.index(ctx, conn, r.indexesNeeded(first)...); err != nil {
			return err
		}
		if err := r.commit(ctx); err != nil {
			return err
		}
		r.analyseProducts(ctx, conn)
		return nil
	})
}

// parseAndStage reads the whole sheet. The parse goes on while the rows
// parsed so far are written: one goroutine parses, another writes, small
// chunks of rows in between, so that neither waits long and few rows are
// held in memory at once.
func (r *run) parseAndStage(ctx context.Context, p *parser) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A few chunks may wait for the writer: the parse and the writer run at
	// about the same pace, and the slack lets each ride out the other's
	// pauses (a garbage collection, a progress record) instead of stalling.
	chunks := make(chan chunk, chunksWaiting)
	written := make(chan error, 1)
	free := make(chan []any, chunksWaiting+1) // staged value buffers the writer is done with
	go func() { written <- r.writeChunks(ctx, cancel, chunks, free) }()
	perr := func() error {
		defer close(chunks) // the writer ends, even if the parse panics
		return r.parse(ctx, p, chunks, free)
	}()
	if werr := <-written; werr != nil {
		return werr // the parse stopped because of it
	}
	if perr != nil {
		return perr
	}
	return r.staging.flush()
}

// chunk is up to chunkRows parsed rows on their way to the writer, and how
// far the parse had got.
type chunk struct {
	columns  []string // the staged columns
	staged   []any    // their values, row after row
	labels   []any    // stagedLabelColumns values, claim after claim
	rejected []errorRow

	// With progress set, the writer records the progress (and the rejected
	// rows so far): every progressEvery (ProgressEvery), when flushRows rows wait to be
	// reported as rejected, and at the end.
	progress                        bool
	scanned, estimate, rowsRejected int
}

// chunkRows is how many parsed rows go to the writer at a time (as many as
// one staging INSERT takes), and chunksWaiting how many chunks may wait for
// it. Measured with the CSV benchmark: one waiting chunk of 50 rows left the
// writer idle a third of the time; four of 100 cut the parse-and-stage
// phase from 0.72 s to 0.53 s for 100,000 rows.
const (
	chunkRows     = 100
	chunksWaiting = 4
)

// parse reads the sheet and hands its rows to the writer, chunk by chunk,
// reusing the value buffers the writer sends back.
func (r *run) parse(ctx context.Context, p *parser, chunks chan<- chunk, free <-chan []any) error {
	buffer := func() []any {
		select {
		case b := <-free:
			return b[:0]
		default:
			return make([]any, 0, chunkRows*len(stagedColumns))
		}
	}
	send := func(progress bool, estimate int) error {
		c := r.next
		c.columns = r.stagedNames
		c.progress, c.scanned, c.estimate, c.rowsRejected = progress, p.scanned, estimate, r.batch.RowsRejected
		r.next = chunk{staged: buffer()}
		select {
		case chunks <- c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.next = chunk{staged: buffer()}
	lastProgress, reported := time.Now(), 0
	for {
		prod, problems, cells, ok, err := p.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if r.layout == nil { // the first data row: the header is known
			r.useLayout(p)
		}
		if problems != nil {
			data := rowData(cells)
			for _, e := range problems {
				r.next.rejected = append(r.next.rejected, errorRowOf(r.batch.ID, e, data))
			}
			r.batch.RowsRejected++
		} else if err := r.stage(&prod, cells); err != nil {
			return err
		}
		if p.dataRows%chunkRows == 0 {
			progress, estimate := time.Since(lastProgress) >= r.im.progressEvery || r.batch.RowsRejected-reported >= flushRows, 0
			if progress {
				lastProgress, reported, estimate = time.Now(), r.batch.RowsRejected, p.sheet.Estimate()
			}
			if err := send(progress, estimate); err != nil {
				return err
			}
		}
	}
	if r.layout == nil { // a header and no data rows
		r.useLayout(p)
	}
	r.batch.Warnings = append(r.batch.Warnings, p.supplierWarnings()...)
	r.batch.RowsProcessed, r.batch.RowsTotal = p.scanned, p.scanned
	r.held, r.skipped = p.sheet.Held()-p.aboveData, p.skipped
	return send(true, p.scanned)
}

// useLayout takes the file's layout once the parser has found the header.
func (r *run) useLayout(p *parser) {
	r.layout = p.layout
	r.batch.Headers, r.batch.HeaderRow, r.batch.Warnings, r.batch.Mapped = p.layout.Headers, p.layout.HeaderRow, p.warnings, p.layout.Mapped
	if r.batch.Mapped == nil {
		r.batch.Mapped = Mapping{}
	}
	r.stagedPositions, r.stagedNames = stagedFor(p.layout)
}

// writeChunks writes each chunk in turn. On the first error it cancels the
// parse and drains the rest.
func (r *run) writeChunks(ctx context.Context, cancel func(), chunks <-chan chunk, free chan<- []any) error {
	var err error
	var rejected []errorRow // waiting for the next progress record
	for c := range chunks {
		if err != nil {
			continue
		}
		rejected = append(rejected, c.rejected...)
		if err = r.staging.add(c.columns, c.staged, c.labels); err == nil && c.progress {
			err = r.recordProgress(ctx, c, rejected)
			rejected = rejected[:0]
		}
		clear(c.staged) // the buffer must not keep this chunk's values alive
		select {
		case free <- c.staged:
		default:
		}
		if err != nil {
			cancel()
		}
	}
	return err
}

// stage queues a valid row and its label claims for the next chunk, and
// spools its cells. Only the columns staged for the file's layout are queued.
func (r *run) stage(p *product, cells []string) error {
	row := int64(p.Row)
	for _, l := range p.Labels {
		r.next.labels = append(r.next.labels, l.stagedValues(row)...)
	}
	r.next.staged = r.boxes.append(r.next.staged, p, r.stagedPositions)
	r.skuOrder.see(p.SKU)
	r.gtinOrder.see(p.GTIN)
	return r.cells.add(p.Row, cells)
}

func (r *run) knownSchemes(ctx context.Context) (map[string]bool, error) {
	codes, err := catalog.NewStore(r.im.db).SchemeCodes(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return m, nil
}

// recordProgress stores the rows rejected so far and how far the parse has
// got, in one short transaction; it fails if the batch is no longer running
// (another replica took it for abandoned).
func (r *run) recordProgress(ctx context.Context, c chunk, rejected []errorRow) error {
	total := max(c.estimate, c.scanned)
	if r.dry != nil { // no batch is recorded to keep the progress in
		r.dry.errors = append(r.dry.errors, rejected...)
		if r.req.Progress != nil {
			r.req.Progress(Progress{Rows: c.scanned, Estimated: total})
		}
		return nil
	}
	err := r.conn.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := database.InsertRows(ctx, tx, "import_row_errors", errorColumns, valuesOf(rejected)); err != nil {
			return err
		}
		return heartbeat(tx, r.batch.ID, r.im.now(), map[string]any{
			"rows_processed": c.scanned, "rows_total": total, "rows_rejected": c.rowsRejected,
		})
	})
	if err != nil {
		return fmt.Errorf("store rows: %w", err)
	}
	if r.req.Progress != nil {
		r.req.Progress(Progress{Rows: c.scanned, Estimated: total})
	}
	return nil
}

// fail marks the batch failed. Row errors already found are kept: they
// still tell the supplier what to fix.
func (r *run) fail(ctx context.Context, cause error) error {
	msg := failureMessage(cause, r.req.RequestID, r.batch.ID)
	now := r.im.now()
	r.batch.Status, r.batch.Error, r.batch.FinishedAt = StatusFailed, msg, &now
	return r.im.db.WithContext(ctx).Table("import_batches").Where("id = ?", r.batch.ID).Updates(map[string]any{
		"status": StatusFailed, "error": msg, "finished_at": now, "format": r.batch.Format,
		"headers": r.batch.Headers, "header_row": r.batch.HeaderRow, "warnings": r.batch.Warnings, "mapped": r.batch.Mapped,
	}).Error
}

// failureMessage is what a failed batch tells its supplier: the code and
// message of an error the supplier can act on (an unreadable file, a limit),
// or, for anything internal (a driver's or the file system's error), a code
// and a fixed message quoting the request or batch. The internal error's
// text never reaches the batch: callers log it with the request id.
func failureMessage(cause error, requestID string, batchID int64) string {
	if e, ok := errs.As(cause); ok && e.Kind != errs.Internal {
		return e.Code + ": " + e.Message
	}
	ref := fmt.Sprintf("batch %d", batchID)
	if requestID != "" {
		ref = "request id " + requestID
	}
	if database.IsUnavailable(cause) {
		return "DB_UNAVAILABLE: the database was unavailable, so nothing of this file was stored: upload it again in a moment (" + ref + ")"
	}
	return "INTERNAL: the import failed on our side and nothing of this file was stored: retry, or contact the operator quoting " + ref
}

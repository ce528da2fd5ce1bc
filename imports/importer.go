package imports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// flushRows is how many rejected rows may wait before they are recorded
// with the progress (see ProgressEvery).
const flushRows = 1000

// Progress reports how far a running import has got.
type Progress struct {
	Rows      int // rows read so far, empty ones included
	Estimated int // rows the file is expected to hold, 0 if unknown
}

// Request is one file to import.
type Request struct {
	SupplierID int64
	FileName   string // as uploaded; only its base name is kept
	Path       string // where the file is on disk
	Progress   func(Progress)

	// RequestID names the request that started the import, if any. A batch
	// that fails for an internal reason quotes it (or else the batch id) so
	// that the operator can find the cause in the log; the cause itself is
	// never stored in the batch.
	RequestID string
}

// Importer imports supplier files.
type Importer struct {
	db     *gorm.DB
	limits Limits
	owner  string
	slots  chan struct{} // see importSlots
	options

	// OnCommit, if set, runs inside the transaction that commits a batch:
	// the verdicts of the products it wrote are recomputed there, so no
	// product is ever stored without its verdicts. If it fails, the batch fails.
	OnCommit func(ctx context.Context, tx *gorm.DB, batchID int64) error
}

// New returns an Importer on db with the given limits, on the system clock
// and the default timings unless opts say otherwise.
func New(db *gorm.DB, limits Limits, opts ...Option) *Importer {
	return &Importer{db: db, limits: limits, owner: processOwner, slots: importSlots(db), options: newOptions(opts)}
}

// ErrInProgress means the supplier already has an import running.
var ErrInProgress = errs.E(errs.Conflict, "IMPORT_IN_PROGRESS", "an import for this supplier is already running: wait for it to finish")

// Import runs a whole import and returns the finished batch. The error is
// non-nil when the file could not be read or stored at all; rejected rows
// are not an error (the batch commits with them reported).
func (im *Importer) Import(ctx context.Context, req Request) (Batch, error) {
	b, err := im.Start(ctx, req)
	if err != nil {
		return b, err
	}
	return im.Run(ctx, b, req)
}

// Start checks that the caller may import for the supplier, hashes the file
// and records a running batch. Run does the work.
func (im *Importer) Start(ctx context.Context, req Request) (Batch, error) {
	b, err := im.prepareBatch(ctx, req)
	if err != nil {
		return Batch{}, err
	}
	for attempt := 0; ; attempt++ {
		err = im.db.WithContext(ctx).Create(&b).Error
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			break
		}
		// Another batch of this supplier is marked running: if its process
		// died, fail it and try once more; otherwise refuse.
		if attempt > 0 {
			return Batch{}, ErrInProgress
		}
		if _, rerr := recoverAbandoned(ctx, im.db, im.options); rerr != nil {
			return Batch{}, rerr
		}
		b.ID = 0
	}
	return b, err
}

// prepareBatch checks that the caller may import for the supplier, hashes
// the file and returns the running batch to record (Start) or to run
// without recording it (DryRun).
func (im *Importer) prepareBatch(ctx context.Context, req Request) (Batch, error) {
	p, err := access.Require(ctx, access.Admin, access.Supplier)
	if err != nil {
		return Batch{}, err
	}
	if p.Role == access.Supplier && p.SupplierID != req.SupplierID {
		return Batch{}, errs.ErrForbidden
	}
	var known int64
	if err := im.db.WithContext(ctx).Table("suppliers").Where("id = ?", req.SupplierID).Count(&known).Error; err != nil {
		return Batch{}, err
	}
	if known == 0 {
		return Batch{}, errs.E(errs.NotFound, "UNKNOWN_SUPPLIER", "supplier %d is not registered", req.SupplierID)
	}
	sum, err := fileSHA256(req.Path)
	if err != nil {
		return Batch{}, err
	}
	now := im.now()
	b := Batch{
		SupplierID: req.SupplierID, FileName: cleanFileName(req.FileName), SHA256: sum,
		Status: StatusRunning, Owner: im.owner, HeartbeatAt: &now, StartedAt: now,
		Warnings: Warnings{}, Headers: Headers{}, Mapped: Mapping{},
	}
	if p.UserID != 0 {
		id := p.UserID
		b.CreatedBy = &id
	}
	return b, nil
}

// Run waits for an import slot, reads the file of a started batch, stages
// its valid rows, and merges them into the catalogue in one transaction.
// Whatever happens, the batch ends committed or failed.
func (im *Importer) Run(ctx context.Context, b Batch, req Request) (Batch, error) {
	// Start checked the caller; so does Run, which a batch alone does not authorise.
	if p, err := access.Require(ctx, access.Admin, access.Supplier); err != nil {
		return b, err
	} else if p.Role == access.Supplier && (p.SupplierID != b.SupplierID || p.SupplierID != req.SupplierID) {
		return b, errs.ErrForbidden
	}
	run := &run{im: im, batch: b, req: req}
	release, err := im.waitForSlot(ctx, b.ID)
	if err == nil {
		err = func() error {
			defer release() // even if the import panics
			return run.execute(ctx)
		}()
	}
	if err != nil {
		// Record the failure even if ctx was cancelled: the batch must not stay "running".
		if ferr := run.fail(context.WithoutCancel(ctx), err); ferr != nil {
			err = errors.Join(err, ferr)
		}
		return run.batch, err
	}
	return run.batch, nil
}

// cleanFileName keeps only the base name of an uploaded file: a client's
// path (../../etc/passwd, C:\Users\…) is never trusted or stored.
func cleanFileName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = filepath.Base(filepath.Clean("/" + name))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "/" || name == "." || name == "" {
		return "upload"
	}
	return cutUTF8(name, 255)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash upload: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// rowData is how a rejected row as written is kept for the fix workbook:
// the cells joined by the ASCII unit separator (compact), or JSON
// in the rare case a cell contains a separator itself.
func rowData(cells []string) string {
	for _, c := range cells {
		if strings.ContainsAny(c, "\x1e\x1f") {
			b, _ := json.Marshal(cells)
			return string(b)
		}
	}
	return "\x1e" + strings.Join(cells, "\x1f")
}

// decodeRowData reverses rowData.
func decodeRowData(s string) []string {
	if rest, ok := strings.CutPrefix(s, "\x1e"); ok {
		return strings.Split(rest, "\x1f")
	}
	var cells []string
	_ = json.Unmarshal([]byte(s), &cells)
	return cells
}

package imports

import "github.com/cascade-gate/cascade/app/kernel/errs"

// accounted is the check, at commit, that every data row of the file is
// stored, rejected or skipped as empty (SPEC §2: rejected data rows are
// never silently dropped). The number of data rows the file holds comes
// from the reader's own count (an XLSX's XML scan, the CSV line reader),
// not from the rows it yielded: a reader that loses or merges rows, or a
// step of the import that drops one, refuses the batch instead of
// committing it short.
func (r *run) accounted() error {
	b := r.batch
	stored := b.RowsCreated + b.RowsUpdated + b.RowsUnchanged
	if got := stored + b.RowsRejected + r.skipped; got != r.held {
		return errs.Invalidf("UNREADABLE_FILE", "the file holds %d data rows, but %d of them were read (%d stored, %d rejected, %d empty), so nothing of it was stored: save the file again from your spreadsheet program and upload it again",
			r.held, got, stored, b.RowsRejected, r.skipped).
			WithDetails(map[string]int{"rows_in_file": r.held, "rows_stored": stored, "rows_rejected": b.RowsRejected, "rows_empty": r.skipped})
	}
	return nil
}

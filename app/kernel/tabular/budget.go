package tabular

import (
	"fmt"
	"sync"
)

// The memory budget. Every limit on what a file may hold is derived from
// one number, the peak resident memory a Cascade process may reach however
// hostile the files it reads (README "Limits"):
//
//	ProcessBudget  512 MiB  peak RSS of a `cascade serve` process
//	  GoMemoryLimit  384 MiB  the Go runtime's soft limit (serve sets it unless
//	                          GOMEMLIMIT is set): garbage is collected before it
//	                          doubles the live heap
//	  outside Go     128 MiB  SQLite's page caches, cgo, thread stacks, the binary
//	GoMemoryLimit splits into
//	  ReadBudget     256 MiB  every file being read at once: each reserves its
//	                          worst-case cost (below) before its parts are parsed,
//	                          and waits while other files hold the budget
//	  the rest       128 MiB  the server: requests, imports' staging, re-evaluation
//
// A workbook's cost is what its reader (sheet.go) holds: the shared-strings
// table (its text, never longer than its part, and an end offset per
// string: sharedStringsCost), one row, and a fixed overhead (the part
// buffers, the styles' cell formats). It is known from the zip directory
// before any part is parsed, and is at most about 50 MB.
const (
	ProcessBudget int64 = 512 << 20
	GoMemoryLimit int64 = 384 << 20
	ReadBudget    int64 = 256 << 20

	// MaxSharedStrings and MaxSharedBytes bound the shared-strings table: an
	// honest 100,000-row workbook of 15 columns written with shared strings
	// holds about 410,000 strings and 5 MB of text. MaxSharedElements bounds
	// the elements inside its strings (rich-text runs, their properties):
	// they cost no memory once read, but reading millions of them does cost
	// time, and an honest table has a few per string.
	MaxSharedStrings  = 1_000_000
	MaxSharedBytes    = 32 << 20
	MaxSharedElements = 4_000_000

	// MaxCellBytes bounds one cell as written: a text run, a shared string or
	// a worksheet cell in the XML (Excel's largest cell, 32,767 characters,
	// fits even with every character escaped), or a CSV field. Larger XML
	// cells refuse the workbook (CELL_TOO_LARGE); a larger CSV field is cut
	// there as it streams and its row is rejected (VALUE_TOO_LONG).
	MaxCellBytes = 256 << 10
	// MaxBlankBytes bounds white space between elements (indentation, a
	// padded prolog).
	MaxBlankBytes = 16 << 20
	// MaxRowBytes and MaxColumns bound one row: its text, shared strings
	// filled in, and its cells (Excel's 16,384 columns). Past either the file
	// is refused (ROW_TOO_LARGE).
	MaxRowBytes = 2 << 20
	MaxColumns  = 16_384
	// RowCost is what reading one row may hold: its cells, their strings and
	// the reader's buffers.
	RowCost int64 = 4 * MaxRowBytes
	// MaxTagBytes bounds one XML tag with its attributes, MaxPartElements the
	// elements of a part other than a worksheet or the shared strings
	// (workbook, styles, …), MaxPartBytes its size: none of them is product
	// data, and a spreadsheet program writes them small.
	MaxTagBytes     = 64 << 10
	MaxPartElements = 500_000
	MaxPartBytes    = 64 << 20
	// fileOverhead is the fixed cost of an open workbook.
	fileOverhead int64 = 4 << 20
)

// limitsHint names the limit a code stands for.
func limitsHint(code string) string {
	switch code {
	case "CELL_TOO_LARGE":
		return fmt.Sprintf("%d KB per cell", MaxCellBytes>>10)
	case "ROW_TOO_LARGE":
		return fmt.Sprintf("%d cells and %d MB per row", MaxColumns, MaxRowBytes>>20)
	case "TOO_MANY_SHARED_STRINGS":
		return fmt.Sprintf("%d shared strings and %d MB of their text", MaxSharedStrings, MaxSharedBytes>>20)
	}
	return fmt.Sprintf("%d elements per part", MaxPartElements)
}

// readBudget is the ReadBudget shared by the files being read at once.
var readBudget = newBudget(ReadBudget)

// budget is a weighted semaphore: reservations wait until they fit.
type budget struct {
	mu    sync.Mutex
	cond  *sync.Cond
	total int64
	used  int64
}

func newBudget(total int64) *budget {
	b := &budget{total: total}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// reserve waits until n fits in the budget, takes it, and returns the
// function that gives it back (once). n must not exceed the total.
func (b *budget) reserve(n int64) (release func()) {
	n = min(n, b.total)
	b.mu.Lock()
	for b.used+n > b.total {
		b.cond.Wait()
	}
	b.used += n
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.used -= n
			b.mu.Unlock()
			b.cond.Broadcast()
		})
	}
}

// inUse is what the budget has lent out (for tests).
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

package imports

import (
	"fmt"
	"unicode/utf8"

	"github.com/cascade-gate/cascade/app/kernel/tabular"
)

// Limits bound what one supplier file may cost. Past any of them the file is
// refused with a clear error and nothing is stored.
type Limits struct {
	MaxFileBytes     int64 // the upload itself
	MaxUnzippedBytes int64 // an XLSX's parts once decompressed (zip bombs)
	MaxDataRows      int   // non-empty rows after the header
}

// DefaultLimits suit a national retailer's largest supplier catalogue.
var DefaultLimits = Limits{
	MaxFileBytes:     100 << 20,
	MaxUnzippedBytes: 1 << 30,
	MaxDataRows:      1_000_000,
}

// MaxExtraColumns bounds the columns of a file that Cascade does not know
// (more refuse the file, TOO_MANY_COLUMNS), and MaxExtraBytes what they hold
// on one row, as stored on the product's extra (more reject that row,
// VALUE_TOO_LONG): a shared string repeated down 16,000 unknown columns
// would otherwise grow the database by far more than the file's size.
const (
	MaxExtraColumns = 256
	MaxExtraBytes   = 8 << 10
)

func (l Limits) file() tabular.Limits {
	return tabular.Limits{MaxFileBytes: l.MaxFileBytes, MaxUnzippedBytes: l.MaxUnzippedBytes}
}

// length says how long a value is, in characters; a cell the reader cut at
// tabular.MaxCellBytes is longer than what is left of it.
func length(raw, val string) string {
	n := utf8.RuneCountInString(val)
	if len(raw) >= tabular.MaxCellBytes-utf8.UTFMax {
		return fmt.Sprintf("more than %d characters", n)
	}
	return fmt.Sprintf("%d characters", n)
}

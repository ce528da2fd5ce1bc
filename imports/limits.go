package imports

import "github.com/cascade-gate/cascade/app/kernel/tabular"

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

func (l Limits) file() tabular.Limits {
	return tabular.Limits{MaxFileBytes: l.MaxFileBytes, MaxUnzippedBytes: l.MaxUnzippedBytes}
}

package registry

import (
	"embed"
	"io/fs"
	"strings"
)

// samples are clearly marked sample registries (SCHEME.csv), for the demo
// and the tests: none of the real registries offers a bulk download (see
// DOMAIN.md), so these are invented entries in the real id formats, with
// links to the reserved .invalid domain. Snapshots made from them are
// flagged sample.
//
//go:embed samples/*.csv
var samples embed.FS

// Samples returns the sample registry files by scheme code.
func Samples() map[string][]byte {
	out := map[string][]byte{}
	files, _ := fs.Glob(samples, "samples/*.csv")
	for _, f := range files {
		b, _ := samples.ReadFile(f)
		out[strings.TrimSuffix(strings.TrimPrefix(f, "samples/"), ".csv")] = b
	}
	return out
}

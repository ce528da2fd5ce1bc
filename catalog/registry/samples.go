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

// recallSamples are clearly marked sample recall lists (LIST.FORMAT.json or
// LIST.csv): invented products in the real CPSC record shape (its field
// names) and in the canonical recall layout, every title marked SAMPLE and
// every link on the reserved .invalid domain.
//
//go:embed samples/recalls/*
var recallSamples embed.FS

// RecallSample is one sample recall list: its list code, format and bytes.
type RecallSample struct {
	List, Format, File string
	Data               []byte
}

// RecallSamples returns the sample recall lists, in file order.
func RecallSamples() []RecallSample {
	var out []RecallSample
	files, _ := fs.Glob(recallSamples, "samples/recalls/*")
	for _, f := range files {
		b, _ := recallSamples.ReadFile(f)
		name := strings.TrimPrefix(f, "samples/recalls/")
		list, rest, _ := strings.Cut(name, ".")
		format := FormatCanonical
		if f, _, ok := strings.Cut(rest, "."); ok {
			format = f
		}
		out = append(out, RecallSample{List: list, Format: format, File: name, Data: b})
	}
	return out
}

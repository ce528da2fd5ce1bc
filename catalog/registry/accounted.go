package registry

import "github.com/cascade-gate/cascade/app/kernel/errs"

// isEmptyRow reports whether a row holds nothing in any registry column. A
// row with only a status, a date or a URL is not empty: it is refused as a
// bad row, never skipped.
func (p *rowParser) isEmptyRow(val func(string) string) bool {
	for _, c := range p.layout.columns {
		if val(c) != "" {
			return false
		}
	}
	return true
}

// accounted checks that each of the rows the file holds below its header,
// as its reader counted them apart from the rows it yielded (an XLSX's XML
// scan, the CSV line reader), became an entry, a problem or an empty row:
// a registry read short would drop the revocations after the point where
// its reader stopped.
func (p *rowParser) accounted(held int) error {
	if got := len(p.entries) + len(p.problems) + p.empty; got != held {
		return errs.Invalidf("UNREADABLE_FILE", "the file holds %d rows below its header, but %d of them were read, so the last good snapshot is kept: save the file again from the program that wrote it", held, got)
	}
	return nil
}

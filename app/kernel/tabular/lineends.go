package tabular

import "io"

// lineEnds reads CSV text with every line ending as LF: CRLF becomes LF, as
// encoding/csv reads it anyway, and so does a CR that no LF follows (the
// line ending of classic Mac OS, still written by some exports).
// encoding/csv knows only LF and CRLF, so such a file used to be one line,
// all of it taken as the header. No look-ahead is needed: a CR is an LF,
// and an LF right after a CR is dropped.
type lineEnds struct {
	r       io.Reader
	afterCR bool // the last byte read was a CR
}

func (l *lineEnds) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	out := 0
	for _, b := range p[:n] {
		if b == '\n' && l.afterCR {
			l.afterCR = false
			continue
		}
		l.afterCR = b == '\r'
		if l.afterCR {
			b = '\n'
		}
		p[out] = b
		out++
	}
	return out, err
}

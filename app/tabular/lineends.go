package tabular

import "io"

// lineEnds reads CSV text with every line ending as LF or CRLF: a CR that
// no LF follows (the line ending of classic Mac OS, still written by some
// exports) becomes an LF. encoding/csv knows only LF and CRLF, so such a
// file used to be one line, all of it taken as the header.
type lineEnds struct {
	r       io.Reader
	pending bool // the last read ended in a CR, not yet passed on
}

func (l *lineEnds) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	off := 0
	if l.pending {
		p[0], off, l.pending = '\r', 1, false
	}
	n, err := l.r.Read(p[off:])
	n += off
	for i := 0; i < n; i++ {
		if p[i] != '\r' {
			continue
		}
		switch {
		case i+1 < n:
			if p[i+1] != '\n' {
				p[i] = '\n'
			}
		case err == nil: // the next read tells
			l.pending, n = true, n-1
		default:
			p[i] = '\n'
		}
	}
	return n, err
}

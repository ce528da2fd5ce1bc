package tabular

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// sharedStrings is a workbook's shared-strings table: every string's text
// one after another in one string, and where each ends. A cell citing one
// gets a substring, without a copy.
type sharedStrings struct {
	text string
	ends []uint32
}

// span is where string i is in text.
func (s *sharedStrings) span(i int) (start, end uint32, ok bool) {
	if s == nil || i < 0 || i >= len(s.ends) {
		return 0, 0, false
	}
	if i > 0 {
		start = s.ends[i-1]
	}
	return start, s.ends[i], true
}

// sharedStringsCost is what the table of a shared-strings part of size
// bytes may hold: its text (never longer than the part) and an end for
// each string (the shortest, <si/>, takes 5 bytes), with room for append
// to double it.
func sharedStringsCost(size int64) int64 {
	return min(size, MaxSharedBytes) + 8*min(size/5+1, MaxSharedStrings)
}

// siReader collects one <si> (or a cell's <is>) as excelize reads it
// (xlsxSI.String): the text of its last direct <t>, then that of each run
// (<r>, the last <t> of each), with _xHHHH_ escapes decoded. Phonetic runs
// and other elements are not text.
type siReader struct {
	depth   int    // the open elements at the <si> itself
	t, runs []byte // the direct <t>'s text, the runs' text
	runT    []byte // the current run's <t>
	inRun   int    // the depth of the open run, 0 if none
	capture int    // the depth of the <t> being read, 0 if none
	toRun   bool   // and it belongs to the run
	done    bool   // a cell's <is> was read to its end
}

func (r *siReader) begin(depth int) {
	r.depth, r.t, r.runs, r.runT, r.inRun, r.capture = depth, r.t[:0], r.runs[:0], r.runT[:0], 0, 0
}

// start notes a start tag inside the string; depth counts it if it is open.
func (r *siReader) start(local []byte, empty bool, depth int) {
	if empty {
		depth++ // where it would be if it were open
	}
	switch {
	case depth == r.depth+1 && string(local) == "t":
		r.t = r.t[:0]
		if !empty {
			r.capture, r.toRun = depth, false
		}
	case depth == r.depth+1 && string(local) == "r" && !empty:
		r.inRun, r.runT = depth, r.runT[:0]
	case r.inRun > 0 && depth == r.inRun+1 && string(local) == "t":
		r.runT = r.runT[:0]
		if !empty {
			r.capture, r.toRun = depth, true
		}
	}
}

// text takes character data read at depth.
func (r *siReader) text(p *partReader, depth int) {
	if r.capture == 0 || depth != r.capture {
		return
	}
	if r.toRun {
		r.runT = p.appendText(r.runT)
	} else {
		r.t = p.appendText(r.t)
	}
}

// end notes the end of an element that was open at depth.
func (r *siReader) end(depth int) {
	switch {
	case depth == r.capture:
		r.capture = 0
	case depth == r.inRun:
		r.runs = append(r.runs, r.runT...)
		r.inRun = 0
	}
}

// value appends the string's text to dst.
func (r *siReader) value(dst []byte) []byte {
	start := len(dst)
	return unescapeBSTR(append(append(dst, r.t...), r.runs...), start)
}

// unescapeBSTR decodes, in dst[start:], the _xHHHH_ escapes by which Excel
// writes characters XML cannot hold (as excelize's bstrUnmarshal: _x005F_
// is "_", an escape of no character is dropped).
func unescapeBSTR(dst []byte, start int) []byte {
	s := dst[start:]
	if bytes.IndexByte(s, '_') < 0 || !bytes.Contains(s, []byte("_x")) {
		return dst
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if v, ok := hex4(s[i+2 : i+6]); ok {
				if r := rune(v); r < 0xD800 || r > 0xDFFF {
					out = utf8.AppendRune(out, r)
				}
				i += 7
				continue
			}
		}
		out = append(out, s[i])
		i++
	}
	return append(dst[:start], out...)
}

func hex4(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v = v*16 + int(c-'A') + 10
		default:
			return 0, false
		}
	}
	return v, true
}

// readSharedStrings reads a shared-strings part of size bytes, within the
// limits on the table, refusing it as it streams past one.
func readSharedStrings(p *partReader, size int64) (*sharedStrings, error) {
	var text strings.Builder
	text.Grow(int(min(size, MaxSharedBytes)))
	ends := []uint32{}
	var si siReader
	var buf []byte
	inSI := false
	elements, textBytes, siBytes := 0, 0, 0
	add := func(b []byte) error {
		if len(ends) >= MaxSharedStrings {
			return p.tooLarge("TOO_MANY_SHARED_STRINGS", "more than %d shared strings", MaxSharedStrings)
		}
		text.Write(b)
		ends = append(ends, uint32(text.Len()))
		return nil
	}
	for {
		// Most strings are <si><t>text</t></si>: read without a token each.
		for !inSI && len(p.marks) == 1 && !p.tokensOnly {
			t, underscore, ok := p.plainSI()
			if !ok || len(ends) >= MaxSharedStrings || textBytes+len(t) > MaxSharedBytes || len(t) > MaxCellBytes || elements+1 > MaxSharedElements {
				break // the token path reads it, and says what is wrong
			}
			textBytes, elements = textBytes+len(t), elements+1
			p.pos += len("<si><t>") + len(t) + len("</t></si>")
			p.elements += 2
			p.textRun, p.blank, p.lastSig = 0, true, '>'
			if underscore {
				buf = unescapeBSTR(append(buf[:0], t...), 0)
				t = buf
			}
			text.Write(t)
			ends = append(ends, uint32(text.Len()))
		}
		if !inSI && len(p.marks) == 1 && p.plain("si", "t") {
			if p.err != nil {
				return nil, p.err
			}
			n := len(p.text)
			if textBytes += n; textBytes > MaxSharedBytes {
				return nil, p.tooLarge("TOO_MANY_SHARED_STRINGS", "more than %d MB of shared strings", MaxSharedBytes>>20)
			}
			if n > MaxCellBytes {
				return nil, p.tooLarge("CELL_TOO_LARGE", "a shared string of more than %d KB (a cell holds at most 32,767 characters)", MaxCellBytes>>10)
			}
			if elements++; elements > MaxSharedElements {
				return nil, p.tooLarge("TOO_MANY_SHARED_STRINGS", "more than %d XML elements inside its strings (rich-text runs and their properties)", MaxSharedElements)
			}
			buf = unescapeBSTR(p.appendText(buf[:0]), 0)
			if err := add(buf); err != nil {
				return nil, err
			}
			continue
		}
		switch p.next() {
		case tokEOF:
			if p.err != nil {
				return nil, p.err
			}
			return &sharedStrings{text: text.String(), ends: ends}, nil
		case tokStart:
			depth := len(p.marks)
			if !inSI {
				if string(p.local) == "si" && (depth == 2 || p.empty && depth == 1) {
					if p.empty {
						if err := add(nil); err != nil {
							return nil, err
						}
						continue
					}
					inSI, siBytes = true, 0
					si.begin(depth)
				}
				continue
			}
			if elements++; elements > MaxSharedElements {
				return nil, p.tooLarge("TOO_MANY_SHARED_STRINGS", "more than %d XML elements inside its strings (rich-text runs and their properties)", MaxSharedElements)
			}
			si.start(p.local, p.empty, depth)
		case tokText:
			if textBytes += len(p.text); textBytes > MaxSharedBytes {
				return nil, p.tooLarge("TOO_MANY_SHARED_STRINGS", "more than %d MB of shared strings", MaxSharedBytes>>20)
			}
			if !inSI {
				continue
			}
			if siBytes += len(p.text); siBytes > MaxCellBytes {
				return nil, p.tooLarge("CELL_TOO_LARGE", "a shared string of more than %d KB (a cell holds at most 32,767 characters)", MaxCellBytes>>10)
			}
			si.text(p, len(p.marks))
		case tokEnd:
			depth := len(p.marks) + 1
			if !inSI {
				continue
			}
			if depth == si.depth {
				inSI = false
				buf = si.value(buf[:0])
				if err := add(buf); err != nil {
					return nil, err
				}
				continue
			}
			si.end(depth)
		}
	}
}

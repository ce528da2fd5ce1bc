package tabular

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// plain reads, when it is whole in the buffer at pos, the element
// <outer>text</outer> (inner "") or <outer><inner>text</inner></outer>:
// no attributes, nothing but text inside, no prefixes. It is what most
// cells and shared strings are, read without a token each; it checks and
// counts as next would. False when the bytes are anything else: nothing is
// read then. True with p.err set when the text is refused.
func (p *partReader) plain(outer, inner string) bool {
	b := p.buf[p.pos:p.end]
	if p.tokensOnly || !hasTag(b, "<", outer) {
		return false
	}
	open := len(outer) + 2
	if inner != "" {
		if !hasTag(b[open:], "<", inner) {
			return false
		}
		open += len(inner) + 2
	}
	k := bytes.IndexByte(b[open:], '<')
	if k < 0 {
		return false
	}
	end := open + k
	closing := end
	if inner != "" {
		if !hasTag(b[closing:], "</", inner) {
			return false
		}
		closing += len(inner) + 3
	}
	if !hasTag(b[closing:], "</", outer) {
		return false
	}
	closing += len(outer) + 3
	p.elements++
	if inner != "" {
		p.elements++
	}
	p.textRun, p.blank = 0, true
	p.pos += open
	if !p.setText(b[open:end], false) {
		return true
	}
	p.pos += closing - end
	p.textRun, p.blank, p.lastSig = 0, true, '>'
	return true
}

// hasTag reports whether b starts with lt, name and ">".
func hasTag(b []byte, lt, name string) bool {
	n := len(lt) + len(name)
	return len(b) > n && b[n] == '>' && string(b[:len(lt)]) == lt && string(b[len(lt):n]) == name
}

// closes reads, when it is at pos, the end tag of the open element name
// (no prefix).
func (p *partReader) closes(name string) bool {
	last := len(p.marks) - 1
	if last < 0 || p.tokensOnly || !hasTag(p.buf[p.pos:p.end], "</", name) || string(p.open[p.marks[last]:]) != name {
		return false
	}
	p.open, p.marks = p.open[:p.marks[last]], p.marks[:last]
	p.pos += len(name) + 3
	p.textRun, p.blank, p.lastSig = 0, true, '>'
	return true
}

// plainSI finds, when it is whole in the checked bytes at pos,
// <si><t>text</t></si> with text without a reference, a CR or a "<", and
// returns text, and whether it holds a "_x". It reads nothing: the caller
// (readSharedStrings) moves pos past it and counts it, or lets the tokens
// read it.
func (p *partReader) plainSI() (text []byte, underscore, ok bool) {
	b := p.buf[p.pos:p.end]
	if p.tokensOnly || !at(b, 0, "<si><t>") {
		return nil, false, false
	}
	n, underscore := plainText(b, 7)
	if !at(b, n, "</t></si") || !at(b, n+8, ">") {
		return nil, false, false
	}
	return b[7:n], underscore && bytes.Contains(b[7:n], []byte("_x")), true
}

// fastRow reads, when it is whole in the checked bytes at pos, a row's
// start tag as fastCell reads a cell's, and starts the row as startRow
// does; it reads nothing when the bytes are anything else or startRow
// would refuse the row.
func (s *xlsxSheet) fastRow() (read, empty bool) {
	p := s.p
	b := p.buf[p.pos:p.end]
	if p.tokensOnly || !at(b, 0, "<row") || len(p.marks) >= maxDepth {
		return false, false
	}
	n, end := s.lastRow+1, 0
	for i := 4; ; {
		name, val, next, ok := fastAttr(b, i)
		if !ok {
			return false, false
		}
		if name == nil {
			end = next
			break
		}
		if len(name) == 1 && name[0] == 'r' {
			r, ok := decimal(val)
			if !ok || r > maxRows {
				return false, false
			}
			n = r
		}
		i = next
	}
	if n <= s.lastRow {
		return false, false
	}
	empty = b[end] == '/'
	p.pos += end + 1
	if empty {
		p.pos++
	} else {
		p.marks = append(p.marks, len(p.open))
		p.open = append(p.open, "row"...)
	}
	p.elements++
	p.textRun, p.blank, p.lastSig = 0, true, '>'
	s.beginRow(n, empty)
	return true, empty
}

// fastCell reads, when it is whole in the checked bytes at pos, a cell as
// spreadsheet programs write most of them: <c …/>, or <c …> then nothing,
// <v>text</v> or <is><t>text</t></is>, then </c>; its attributes each after
// one space, named without a prefix, their values in double quotes without
// a reference, a CR or a "<"; its text without a reference or a CR. It
// reads the cell as readRow would token by token, to the same row cells
// and counts, without a token each. It reads nothing and returns false
// when the bytes are anything else, and when readRow would refuse the
// cell: readRow then reads it, and says why.
func (s *xlsxSheet) fastCell() bool {
	p := s.p
	b := p.buf[p.pos:p.end]
	if p.tokensOnly || len(b) < 5 || b[0] != '<' || b[1] != 'c' || len(p.marks)+3 > maxDepth || s.rowCells >= MaxColumns {
		return false
	}
	col, style, end := s.lastCol+1, 0, 0
	var typ []byte
	// The start tags of most cells, <c r="A1" t="inlineStr"> and
	// <c r="A1" t="s">, in a few loads; the loop reads them the same way.
	if at(b, 2, ` r="`) {
		if c, k := s.plainRef(b, 6); k > 0 {
			switch {
			case at(b, k, ` t="inli`) && at(b, k+8, `neStr">`):
				col, typ, end = c, b[k+4:k+13], k+14
			case at(b, k, ` t="s">`):
				col, typ, end = c, b[k+4:k+5], k+6
			}
		}
	}
	for i := 2; end == 0; {
		// The tag's end, r="A1" and t="s" or "inlineStr", as most cells
		// have them, by hand.
		if i < len(b) && b[i] == '>' {
			end = i
			break
		}
		if at(b, i, ` r="`) {
			if c, k := s.plainRef(b, i+4); k > 0 {
				col, i = c, k
				continue
			}
		} else if at(b, i, ` t="`) {
			if at(b, i+4, `s"`) {
				typ, i = b[i+4:i+5], i+6
				continue
			}
			if at(b, i+4, `inlineSt`) && at(b, i+12, `r"`) {
				typ, i = b[i+4:i+13], i+14
				continue
			}
		}
		name, val, next, ok := fastAttr(b, i)
		if !ok {
			return false
		}
		if name == nil {
			end = next
			break
		}
		if len(name) == 1 {
			switch name[0] {
			case 'r':
				c, ok := refColumn(val)
				if !ok {
					return false
				}
				col = c
			case 's':
				st, ok := decimal(val)
				if !ok {
					return false
				}
				style = st
			case 't':
				typ = val
			}
		}
		i = next
	}
	if col <= s.lastCol {
		return false
	}
	elements, inline, underscore, i := int64(1), false, false, 0
	var text []byte
	if b[end] == '/' {
		i = end + 2 // <c …/>
	} else {
		i = end + 1
		switch {
		case at(b, i, "<is><t>"):
			i += 7
			elements += 2
			inline = true
		case at(b, i, "<v>"):
			i += 3
			elements++
		case at(b, i, "</c>"):
		default:
			return false
		}
		if elements > 1 {
			k, u := plainText(b, i)
			underscore = u && bytes.Contains(b[i:k], []byte("_x"))
			n := k - i
			if k == len(b) || b[k] != '<' || n > MaxCellBytes || s.rowBytes+n > MaxRowBytes {
				return false
			}
			text, i = b[i:k], k
			switch {
			case inline && at(b, i, "</t></is") && at(b, i+8, "></c>"):
				i += 13
			case !inline && at(b, i, "</v></c>"):
				i += 8
			default:
				return false
			}
		} else {
			i += 4 // </c>
		}
	}
	rowBytes := s.rowBytes
	s.rowBytes += len(text)
	var err error
	switch {
	case inline && string(typ) == "inlineStr":
		// addValue's, without looking for _xHHHH_ escapes in a text without "_x".
		start := len(s.rowText)
		if s.rowText = append(s.rowText, text...); underscore {
			s.rowText = unescapeBSTR(s.rowText, start)
		}
		if len(s.rowText) > start {
			s.values = append(s.values, cellValue{col: int32(col), start: int32(start), end: int32(len(s.rowText))})
		}
	case inline:
		err = s.addValue(col, typ, style, false, nil, true, text, nil)
	default:
		err = s.addValue(col, typ, style, false, text, false, nil, nil)
	}
	if err != nil {
		s.rowBytes = rowBytes
		return false
	}
	s.rowCells++
	s.lastCol = col
	p.pos += i
	p.elements += elements
	p.textRun, p.blank, p.lastSig = 0, true, '>'
	return true
}

// fastAttr reads the attribute at b[i] of a start tag as the fast paths
// read them: after one space, a name without a prefix, "=" and a value in
// double quotes without a reference, a CR or a "<". At the tag's ">" or
// "/>" it reads no attribute (name nil) and next is where that is. ok is
// false when the bytes are anything else, or the tag is not whole in b.
func fastAttr(b []byte, i int) (name, val []byte, next int, ok bool) {
	if i+1 >= len(b) {
		return nil, nil, 0, false
	}
	switch b[i] {
	case '>':
		return nil, nil, i, true
	case '/':
		return nil, nil, i, b[i+1] == '>'
	case ' ':
	default:
		return nil, nil, 0, false
	}
	j := i + 1
	for j < len(b) && attrNameByte[b[j]] {
		j++
	}
	if j == i+1 || j+1 >= len(b) || b[j] != '=' || b[j+1] != '"' {
		return nil, nil, 0, false
	}
	k := valueEnd(b, j+2)
	if k == len(b) || b[k] != '"' {
		return nil, nil, 0, false
	}
	return b[i+1 : j], b[j+2 : k], k + 1, true
}

// at reports whether b holds s at i. (An s of up to 8 bytes is compared
// in one load.)
func at(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}

// refColumn reads the column of a cell reference as cellName does, most
// of them (A1 to XFD1048576) without its general rules; false when
// cellName refuses the reference.
func refColumn(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref) && i < 3 && ref[i]-'A' < 26; i++ {
		col = col*26 + int(ref[i]-'A') + 1
	}
	if digits := len(ref) - i; i > 0 && digits > 0 && digits <= 7 && col <= MaxColumns {
		row := 0
		for _, d := range ref[i:] {
			if d-'0' >= 10 {
				row = -1
				break
			}
			row = row*10 + int(d-'0')
		}
		if row > 0 && row <= maxRows {
			return col, true
		}
	}
	col, _, ok := cellName(ref)
	return col, ok
}

// plainText is where the text at b[i] stops being what the fast paths
// read whole: at its first "<", "&" or CR, or len(b); and whether it holds
// a "_" before that (one may start an _xHHHH_ escape). It looks at eight
// bytes at a time: a cell's text is short, and a loop that stops at a byte
// of three mispredicts its end. (It used to stop at each "_" too, and start
// again after it: most cells of a supplier sheet hold one.)
func plainText(b []byte, i int) (end int, underscore bool) {
	var u uint64
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		mu := firstZero(w ^ ('_' * ones))
		if m := firstZero(w^('<'*ones)) | firstZero(w^('&'*ones)) | firstZero(w^('\r'*ones)); m != 0 {
			// The "_" flags below the first stop are exact (firstZero).
			return i + bits.TrailingZeros64(m)>>3, u|mu&(m&-m-1) != 0
		}
		u |= mu
	}
	for ; i < len(b) && b[i] != '<' && b[i] != '&' && b[i] != '\r'; i++ {
		if b[i] == '_' {
			u = 1
		}
	}
	return i, u != 0
}

// valueEnd is where the attribute value at b[i] stops being what the fast
// paths read: at its closing double quote, or a "<", "&" or CR before it;
// or len(b).
func valueEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if m := firstZero(w^('"'*ones)) | firstZero(w^('<'*ones)) | firstZero(w^('&'*ones)) | firstZero(w^('\r'*ones)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && b[i] != '"' && b[i] != '<' && b[i] != '&' && b[i] != '\r' {
		i++
	}
	return i
}

// firstZero has the high bit set of the first byte of x (the lowest) that
// is 0, and maybe of bytes above it, and no bit when no byte is 0: a
// borrow of the subtraction only flags bytes above a 0. The lowest bit set
// of an OR of them is where the first of several bytes is: two operations
// fewer for each than a mask exact in every byte.
func firstZero(x uint64) uint64 {
	return (x - ones) &^ x & (0x80 * ones)
}

const ones = 0x0101010101010101

// plainRef reads the cell reference at b[i], up to its closing double
// quote, when it is A1 to XFD1048576 as programs write them: its column,
// and where the attribute ends; k 0 when it is anything else (refColumn
// reads it then). The row's own number, as most references have it, is
// compared in one load.
func (s *xlsxSheet) plainRef(b []byte, i int) (col, k int) {
	k = i
	for k < len(b) && k-i < 3 && b[k]-'A' < 26 {
		col = col*26 + int(b[k]-'A') + 1
		k++
	}
	if k > i && col <= MaxColumns && k+8 <= len(b) && binary.LittleEndian.Uint64(b[k:])<<(64-8*s.refLen) == s.refWord<<(64-8*s.refLen) {
		return col, k + s.refLen
	}
	letters, row := k-i, 0
	for k < len(b) && k-i-letters < 7 && b[k]-'0' < 10 {
		row = row*10 + int(b[k]-'0')
		k++
	}
	if k == len(b) || b[k] != '"' || letters == 0 || row == 0 || row > maxRows || col > MaxColumns {
		return 0, 0
	}
	return col, k + 1
}

// attrNameByte are the bytes of an attribute's name the fast paths read.
var attrNameByte [256]bool

func init() {
	for c := 0; c < 256; c++ {
		attrNameByte[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
	}
}

package tabular

import "bytes"

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
// returns text. It reads nothing: the caller (readSharedStrings) moves pos
// past it and counts it, or lets the tokens read it.
func (p *partReader) plainSI() ([]byte, bool) {
	b := p.buf[p.pos:p.end]
	if p.tokensOnly || !at(b, 0, "<si><t>") {
		return nil, false
	}
	n := 7
	for n < len(b) && !textStop[b[n]] {
		n++
	}
	if !at(b, n, "</t></si>") {
		return nil, false
	}
	return b[7:n], true
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
	n := s.lastRow + 1
	i, end := fastAttrs(b, 4)
	if end < 0 {
		return false, false
	}
	for i < end {
		name, val, next := fastAttr(b, i)
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
	col, style := s.lastCol+1, 0
	var typ []byte
	i, end := fastAttrs(b, 2)
	for i < end {
		name, val, next := fastAttr(b, i)
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
	if end < 0 || col <= s.lastCol {
		return false
	}
	elements, inline := int64(1), false
	var text []byte
	if b[end] == '/' {
		i = end + 2 // <c …/>
	} else {
		i = end + 1
		switch {
		case at(b, i, "</c>"):
		case at(b, i, "<v>"):
			i += 3
			elements++
		case at(b, i, "<is><t>"):
			i += 7
			elements += 2
			inline = true
		default:
			return false
		}
		if elements > 1 {
			n := 0
			for i+n < len(b) && !textStop[b[i+n]] {
				n++
			}
			if i+n == len(b) || b[i+n] != '<' || n > MaxCellBytes || s.rowBytes+n > MaxRowBytes {
				return false
			}
			text, i = b[i:i+n], i+n
			switch {
			case inline && at(b, i, "</t></is>"):
				i += 9
			case !inline && at(b, i, "</v>"):
				i += 4
			default:
				return false
			}
		}
		if !at(b, i, "</c>") {
			return false
		}
		i += 4
	}
	rowBytes := s.rowBytes
	s.rowBytes += len(text)
	var err error
	if inline {
		err = s.addValue(col, typ, style, false, nil, true, text, nil)
	} else {
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

// fastAttrs finds, in the start tag whose attributes start at b[i], where
// its attributes end: at the ">" or the "/" of "/>". It is -1 (and the
// first return value 0) when the tag is not whole in b, or not a tag as
// fastCell reads them. fastAttr then reads the attributes.
func fastAttrs(b []byte, i int) (int, int) {
	start := i
	for i < len(b) {
		switch b[i] {
		case '>':
			return start, i
		case '/':
			if i+1 < len(b) && b[i+1] == '>' {
				return start, i
			}
			return 0, -1
		case ' ':
		default:
			return 0, -1
		}
		j := i + 1
		for j < len(b) && attrNameByte[b[j]] {
			j++
		}
		if j == i+1 || j+1 >= len(b) || b[j] != '=' || b[j+1] != '"' {
			return 0, -1
		}
		k := j + 2
		for k < len(b) && !attrValueStop[b[k]] {
			k++
		}
		if k == len(b) || b[k] != '"' {
			return 0, -1
		}
		i = k + 1
	}
	return 0, -1
}

// fastAttr reads the attribute at b[i] of a tag fastAttrs found sound: its
// name, its value, and where the next starts.
func fastAttr(b []byte, i int) (name, val []byte, next int) {
	j := i + 1
	for attrNameByte[b[j]] {
		j++
	}
	k := j + 2 + bytes.IndexByte(b[j+2:], '"')
	return b[i+1 : j], b[j+2 : k], k + 1
}

// at reports whether b holds s at i.
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

// The bytes fastCell reads an attribute's name of, stops an attribute's
// value at, and stops a cell's text at.
var attrNameByte, attrValueStop, textStop [256]bool

func init() {
	for c := 0; c < 256; c++ {
		attrNameByte[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
	}
	for _, c := range []byte{'"', '<', '&', '\r'} {
		attrValueStop[c] = true
		textStop[c] = true
	}
	textStop['"'] = false
}

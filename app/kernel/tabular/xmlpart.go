package tabular

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// partReader reads one XML part of a workbook as a stream of tokens (start
// tags, end tags, pieces of character data), in one pass over its bytes. It
// is not a general XML parser: it reads what spreadsheet programs write, and
// refuses, as the bytes stream, what they never write and what would cost
// memory or lose rows: a byte that is not UTF-8 or a character XML forbids,
// an entity that is not predefined (how entity bombs get in), a bare "&", a
// DTD, a tag closed by another's end, a part cut short; and past the limits
// of budget.go a tag, a comment, a run of text. What a token holds is valid
// until the next call.
type partReader struct {
	src  io.Reader
	name string // the part's name in the zip, for messages
	kind int    // partOther, partShared or partSheet

	buf      []byte
	pos      int   // the next byte to read
	end      int   // buf[:end] is checked text
	raw      int   // buf[:raw] was read; buf[end:raw] waits for the rest of a character
	srcDone  bool  // src returned io.EOF
	consumed int64 // bytes dropped before buf[0]

	// The current token.
	qname   []byte // an element's name as written (prefix:local)
	local   []byte // and without its prefix
	attrs   []byte // a start tag's attributes, as written
	empty   bool   // a start tag that closes itself (<x/>)
	tagRefs bool   // the tag holds references or CRs: its values need decoding
	text    []byte // a piece of character data, as written
	refs    bool   // it holds references to decode (&…;)
	crs     bool   // or carriage returns to turn into line feeds
	cdata   bool   // it comes from a CDATA section: no references

	open     []byte // the names of the open elements, one after another
	marks    []int  // where each starts in open
	elements int64  // start tags read
	textRun  int    // bytes of character data since the last tag
	blank    bool   // and all of them white space
	lastSig  byte   // the last byte of the part read that is not white space
	inCDATA  bool
	err      error

	// tokensOnly turns the fast paths off (xmlplain.go): every byte is read
	// as tokens, for the tests that read each part both ways.
	tokensOnly bool
}

// tokens.
const (
	tokEOF = iota
	tokStart
	tokEnd
	tokText
)

// maxDepth bounds how deep elements nest: spreadsheet programs nest a few
// levels, and every open element's name is kept.
const maxDepth = 256

// partBuffer holds the longest tag with room to spare.
const partBuffer = MaxTagBytes + 64<<10

func newPartReader(src io.Reader, name string, kind int) *partReader {
	return &partReader{src: src, name: name, kind: kind, buf: make([]byte, partBuffer), blank: true}
}

// fault is a damage of the part that would lose rows.
func (p *partReader) fault(format string, args ...any) error {
	return errUnreadable("UNREADABLE_FILE", "the workbook part %s is damaged (%s at byte %d), so rows could be lost: save the file again from your spreadsheet program",
		p.name, fmt.Sprintf(format, args...), p.consumed+int64(p.pos))
}

func (p *partReader) tooLarge(code, format string, args ...any) *errs.Error {
	return errs.E(errs.TooLarge, code, "the workbook part %s holds %s: at most %s are accepted, so the file is refused whole", p.name, fmt.Sprintf(format, args...), limitsHint(code))
}

// fill reads more of the part, keeping buf[pos:]. It returns false at the
// end of the part (or on an error, kept in p.err).
func (p *partReader) fill() bool {
	if p.err != nil {
		return false
	}
	if p.pos > 0 {
		n := copy(p.buf, p.buf[p.pos:p.raw])
		p.consumed += int64(p.pos)
		p.end -= p.pos
		p.raw, p.pos = n, 0
	}
	before := p.end
	// Read until a whole character more is checked, or the part ends.
	for p.end == before && !p.srcDone && p.raw < len(p.buf) {
		n, err := p.src.Read(p.buf[p.raw:])
		p.raw += n
		if errors.Is(err, io.EOF) {
			p.srcDone = true
		} else if err != nil {
			p.err = p.fault("%v", err)
			return false
		}
		p.end = p.checkChars(p.end, p.raw)
		if p.err != nil {
			return false
		}
	}
	if p.srcDone && p.end < p.raw {
		p.err = p.fault("the part ends inside a character")
		return false
	}
	return p.end > before
}

// checkChars checks buf[from:to] for bytes that are not UTF-8 and for
// characters XML forbids, and returns where the checked text ends: before
// a character cut by the end of what was read.
func (p *partReader) checkChars(from, to int) int {
	b := p.buf
	i := from
	const highs, space = 0x8080808080808080, 0x20 * 0x0101010101010101
	for i < to {
		// 32, else 8 bytes at a time while they are printable ASCII.
		if i+32 <= to {
			w0, w1 := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[i+8:])
			w2, w3 := binary.LittleEndian.Uint64(b[i+16:]), binary.LittleEndian.Uint64(b[i+24:])
			if (w0|(w0-space)|w1|(w1-space)|w2|(w2-space)|w3|(w3-space))&highs == 0 {
				i += 32
				continue
			}
		}
		if i+8 <= to {
			if w := binary.LittleEndian.Uint64(b[i:]); (w|(w-space))&highs == 0 {
				i += 8
				continue
			}
		}
		c := b[i]
		switch {
		case c >= 0x20 && c < 0x80 || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c < 0x20:
			p.pos = i
			p.err = p.fault("the character U+%04X, which XML does not allow", c)
			return i
		}
		if !utf8.FullRune(b[i:to]) {
			return i
		}
		r, n := utf8.DecodeRune(b[i:to])
		if r == utf8.RuneError && n <= 1 || r == 0xFFFE || r == 0xFFFF {
			p.pos = i
			p.err = p.fault("a byte that is not UTF-8 (or a character XML does not allow)")
			return i
		}
		i += n
	}
	return i
}

// next reads the next token.
func (p *partReader) next() int {
	for p.err == nil {
		if p.pos >= p.end {
			if !p.fill() {
				if p.err != nil {
					return tokEOF
				}
				return p.atEnd()
			}
			continue
		}
		if p.inCDATA {
			if ok := p.cdataText(); ok {
				return tokText
			}
			continue
		}
		if p.buf[p.pos] != '<' {
			if ok := p.charData(); ok {
				return tokText
			}
			continue
		}
		if t := p.markup(); t != tokEOF {
			return t
		}
	}
	return tokEOF
}

// atEnd checks that the part ended where XML may end.
func (p *partReader) atEnd() int {
	switch {
	case p.consumed+int64(p.raw) == 0:
		// An empty part: what needs it says what is missing.
	case len(p.marks) > 0 || p.lastSig != '>' || p.inCDATA:
		p.err = p.fault("the part is cut short")
	}
	return tokEOF
}

// charData returns the character data up to the next "<", or as much of it
// as is read (never cutting a reference or a CR LF); false when it needs
// more bytes first.
func (p *partReader) charData() bool {
	b := p.buf[p.pos:p.end]
	n := bytes.IndexByte(b, '<')
	if n < 0 {
		n = len(b)
		if !p.srcDone || p.raw > p.end {
			// Keep a reference or a CR the next read may complete.
			if amp := bytes.LastIndexByte(b, '&'); amp >= 0 && amp >= len(b)-12 && bytes.IndexByte(b[amp:], ';') < 0 {
				n = amp
			}
			if n > 0 && b[n-1] == '\r' {
				n--
			}
			if n == 0 {
				if p.pos > 0 || p.end < len(p.buf) {
					p.fill()
				} else {
					p.err = p.fault("a reference without its end")
				}
				return false
			}
		}
	}
	return p.setText(b[:n], false)
}

// setText makes b the current piece of character data and checks it.
func (p *partReader) setText(b []byte, cdata bool) bool {
	p.text, p.cdata, p.pos = b, cdata, p.pos+len(b)
	if len(b) <= 64 {
		p.refs, p.crs = false, false
		for _, c := range b {
			p.refs = p.refs || c == '&'
			p.crs = p.crs || c == '\r'
		}
		p.refs = p.refs && !cdata
	} else {
		p.refs = !cdata && bytes.IndexByte(b, '&') >= 0
		p.crs = bytes.IndexByte(b, '\r') >= 0
	}
	if p.refs {
		if err := p.checkRefs(b); err != nil {
			p.err = err
			return false
		}
	}
	p.textRun += len(b)
	if p.blank {
		p.blank = isBlank(b)
	}
	if !p.blank {
		for i := len(b) - 1; i >= 0; i-- {
			if !isSpace(b[i]) {
				p.lastSig = b[i]
				break
			}
		}
	}
	if p.textRun > MaxCellBytes && !(p.blank && p.textRun <= MaxBlankBytes) {
		p.err = p.tooLarge("CELL_TOO_LARGE", "a cell of more than %d KB (a cell holds at most 32,767 characters)", MaxCellBytes>>10)
		return false
	}
	return true
}

// cdataText returns the text of a CDATA section up to its "]]>".
func (p *partReader) cdataText() bool {
	b := p.buf[p.pos:p.end]
	if i := bytes.Index(b, []byte("]]>")); i >= 0 {
		if i == 0 {
			p.pos += 3
			p.inCDATA, p.lastSig = false, '>'
			return false
		}
		return p.setText(b[:i], true)
	}
	n := len(b) - 2 // "]]" may be cut
	if n > 0 && b[n-1] == '\r' {
		n--
	}
	if n <= 0 {
		if p.srcDone && p.raw == p.end {
			p.pos = p.end
			return false // cut short: atEnd says so
		}
		p.fill()
		return false
	}
	return p.setText(b[:n], true)
}

// markup reads what starts at a "<": a tag, or a comment, instruction,
// CDATA section or declaration. tokEOF when it produced no token.
func (p *partReader) markup() int {
	if p.end-p.pos < 2 && !p.have(2) {
		return tokEOF
	}
	switch p.buf[p.pos+1] {
	case '/':
		return p.endTag()
	case '?':
		p.skipTo("?>", 2)
		return tokEOF
	case '!':
		if !p.have(4) {
			return tokEOF
		}
		if bytes.HasPrefix(p.buf[p.pos:p.end], []byte("<!--")) {
			p.skipTo("-->", 4)
			return tokEOF
		}
		if !p.have(9) {
			return tokEOF
		}
		rest := p.buf[p.pos:p.end]
		switch {
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			p.pos += 9
			p.inCDATA = true
			p.textRun, p.blank = 0, true
		case bytes.HasPrefix(rest, []byte("<!DOCTYPE")):
			p.err = p.fault("a DTD (<!DOCTYPE>), which spreadsheet programs never write")
		default:
			p.err = p.fault("markup that is not XML")
		}
		return tokEOF
	}
	return p.startTag()
}

// have makes sure n bytes are read from pos on, or the part ends
// ("cut short") before them.
func (p *partReader) have(n int) bool {
	for p.end-p.pos < n {
		if !p.fill() {
			if p.err == nil {
				p.err = p.fault("the part is cut short")
			}
			return false
		}
	}
	return true
}

// skipTo skips a comment or processing instruction up to and with its
// terminator; from is where the terminator may start.
func (p *partReader) skipTo(term string, from int) {
	length := 0
	for {
		b := p.buf[p.pos:p.end]
		if i := bytes.Index(b[min(from, len(b)):], []byte(term)); i >= 0 {
			if length += from + i + len(term); length > MaxCellBytes {
				break
			}
			p.pos += from + i + len(term)
			p.textRun, p.blank, p.lastSig = 0, true, '>'
			return
		}
		// Keep what may begin the terminator, but never the bytes before
		// from: "<!--" followed by ">" is not a closed comment.
		keep := min(len(term)-1, len(b)-min(from, len(b)))
		length += len(b) - keep
		if length > MaxCellBytes {
			break
		}
		p.pos, from = p.end-keep, 0
		if !p.fill() {
			if p.err == nil {
				p.err = p.fault("the part is cut short")
			}
			return
		}
	}
	p.err = p.tooLarge("CELL_TOO_LARGE", "a comment or instruction of more than %d KB", MaxCellBytes>>10)
}

// tagSpecial marks the bytes tagEnd stops at.
var tagSpecial = [256]bool{'>': true, '"': true, '\'': true, '<': true, '&': true, '\r': true}

// tagEnd finds the ">" that ends the tag starting at pos, outside quoted
// attribute values, reading more as needed. It returns its offset from pos,
// and notes whether the tag holds references or CRs to decode.
func (p *partReader) tagEnd() (int, bool) {
	i, quote := 1, byte(0)
	p.tagRefs = false
	for {
		b := p.buf[p.pos:p.end]
		for i < len(b) {
			for i < len(b) && !tagSpecial[b[i]] {
				i++
			}
			if i == len(b) {
				break
			}
			switch c := b[i]; {
			case c == '&' || c == '\r':
				p.tagRefs = true
			case c == '<':
				p.err = p.fault("a < inside a tag")
				return 0, false
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '>':
				return i, true
			default:
				quote = c
			}
			i++
		}
		if len(b) > MaxTagBytes {
			p.err = errs.E(errs.TooLarge, "ROW_TOO_LARGE", "the workbook part %s holds an XML tag of more than %d KB, which spreadsheet programs never write", p.name, MaxTagBytes>>10)
			return 0, false
		}
		if !p.fill() {
			if p.err == nil {
				p.err = p.fault("the part is cut short")
			}
			return 0, false
		}
	}
}

func (p *partReader) startTag() int {
	n, ok := p.tagEnd()
	if !ok {
		return tokEOF
	}
	tag := p.buf[p.pos+1 : p.pos+n]
	p.pos += n + 1
	p.empty = len(tag) > 0 && tag[len(tag)-1] == '/'
	if p.empty {
		tag = tag[:len(tag)-1]
	}
	k := 0
	for k < len(tag) && !isSpace(tag[k]) {
		k++
	}
	p.qname, p.attrs = tag[:k], tag[k:]
	if len(p.qname) == 0 {
		p.err = p.fault("a tag without a name")
		return tokEOF
	}
	p.local = localName(p.qname)
	if p.tagRefs {
		if err := p.checkRefs(p.attrs); err != nil {
			p.err = err
			return tokEOF
		}
	}
	p.textRun, p.blank, p.lastSig = 0, true, '>'
	if p.elements++; p.kind == partOther && p.elements > MaxPartElements {
		p.err = p.tooLarge("FILE_TOO_LARGE", "more than %d XML elements", MaxPartElements)
		return tokEOF
	}
	if !p.empty {
		if len(p.marks) >= maxDepth {
			p.err = p.fault("elements nested more than %d deep", maxDepth)
			return tokEOF
		}
		p.marks = append(p.marks, len(p.open))
		p.open = append(p.open, p.qname...)
	}
	return tokStart
}

func (p *partReader) endTag() int {
	n, ok := p.tagEnd()
	if !ok {
		return tokEOF
	}
	name := p.buf[p.pos+2 : p.pos+n]
	for len(name) > 0 && isSpace(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	p.pos += n + 1
	last := len(p.marks) - 1
	if last < 0 || !bytes.Equal(p.open[p.marks[last]:], name) {
		p.err = p.fault("the end tag </%s> closes no element it could", name)
		return tokEOF
	}
	p.open, p.marks = p.open[:p.marks[last]], p.marks[:last]
	p.qname, p.local, p.attrs, p.empty = name, localName(name), nil, false
	p.textRun, p.blank, p.lastSig = 0, true, '>'
	return tokEnd
}

// localName drops a namespace prefix: x:c is c.
func localName(q []byte) []byte {
	for i, c := range q {
		if c == ':' {
			return q[i+1:]
		}
	}
	return q
}

// drain reads the rest of the part, for its faults and limits.
func (p *partReader) drain() error {
	for p.next() != tokEOF {
	}
	return p.err
}

// isBlank reports whether b is all XML white space.
func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

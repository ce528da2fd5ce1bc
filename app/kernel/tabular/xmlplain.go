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
	if !hasTag(b, "<", outer) {
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
	if last < 0 || !hasTag(p.buf[p.pos:p.end], "</", name) || string(p.open[p.marks[last]:]) != name {
		return false
	}
	p.open, p.marks = p.open[:p.marks[last]], p.marks[:last]
	p.pos += len(name) + 3
	p.textRun, p.blank, p.lastSig = 0, true, '>'
	return true
}

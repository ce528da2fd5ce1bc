package tabular

import (
	"bytes"
	"unicode/utf8"
)

// References, text and attribute values of a part, decoded as encoding/xml
// decodes them.

// checkRefs checks that every "&" in b starts a predefined entity or a
// character reference of a character XML allows.
func (p *partReader) checkRefs(b []byte) error {
	for {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			return nil
		}
		b = b[i+1:]
		j := bytes.IndexByte(b, ';')
		if j < 0 || j > 10 {
			return p.fault("a bare & that starts no reference")
		}
		if _, ok := reference(b[:j]); !ok {
			return p.fault("&%s; is not a character reference (an entity, or a bare & in the text)", b[:j])
		}
		b = b[j+1:]
	}
}

// reference decodes the name between & and ;: one of XML's predefined
// entities or a character reference.
func reference(name []byte) (rune, bool) {
	switch string(name) {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	digits, base := name[1:], rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 {
		return 0, false
	}
	var r rune
	for _, d := range digits {
		var v rune
		switch {
		case d >= '0' && d <= '9':
			v = rune(d - '0')
		case base == 16 && d >= 'a' && d <= 'f':
			v = rune(d-'a') + 10
		case base == 16 && d >= 'A' && d <= 'F':
			v = rune(d-'A') + 10
		default:
			return 0, false
		}
		if r = r*base + v; r > utf8.MaxRune {
			return 0, false
		}
	}
	// The characters XML allows (XML 1.0, production 2).
	ok := r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000
	return r, ok
}

// appendText appends the current piece of character data, decoded as an
// XML parser does: references replaced, CR LF and a lone CR read as LF.
func (p *partReader) appendText(dst []byte) []byte {
	return appendDecoded(dst, p.text, p.refs, p.crs)
}

// appendDecoded decodes b (checked) onto dst.
func appendDecoded(dst, b []byte, refs, crs bool) []byte {
	if !refs && !crs {
		return append(dst, b...)
	}
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '&' && b[i] != '\r' {
			i++
		}
		dst = append(dst, b[:i]...)
		if i == len(b) {
			break
		}
		if b[i] == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			b = b[i+1:]
			continue
		}
		j := bytes.IndexByte(b[i:], ';')
		r, _ := reference(b[i+1 : i+j])
		dst = utf8.AppendRune(dst, r)
		b = b[i+j+1:]
	}
	return dst
}

// nextAttr reads the attribute of a start tag's attributes that starts at
// or after i: its local name, its value as written, and where the next may
// start; ok false when there are no more. Attributes that are not XML are
// a fault.
func (p *partReader) nextAttr(attrs []byte, i int) (name, val []byte, next int, ok bool, err error) {
	for i < len(attrs) && isSpace(attrs[i]) {
		i++
	}
	if i == len(attrs) {
		return nil, nil, i, false, nil
	}
	start := i
	for i < len(attrs) && attrs[i] != '=' && !isSpace(attrs[i]) {
		i++
	}
	name = localName(attrs[start:i])
	for i < len(attrs) && isSpace(attrs[i]) {
		i++
	}
	if i == len(attrs) || attrs[i] != '=' {
		return nil, nil, i, false, p.fault("an attribute without a value")
	}
	i++
	for i < len(attrs) && isSpace(attrs[i]) {
		i++
	}
	if i == len(attrs) || attrs[i] != '"' && attrs[i] != '\'' {
		return nil, nil, i, false, p.fault("an attribute value without quotes")
	}
	q := attrs[i]
	j := bytes.IndexByte(attrs[i+1:], q)
	if j < 0 {
		return nil, nil, i, false, p.fault("an attribute value without its end")
	}
	return name, attrs[i+1 : i+1+j], i + j + 2, true, nil
}

// value decodes an attribute value of the current tag as encoding/xml
// does: references replaced, CR LF and a lone CR read as LF. It copies
// only when it must.
func (p *partReader) value(v []byte) []byte {
	if !p.tagRefs || bytes.IndexByte(v, '&') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return v
	}
	return appendDecoded(nil, v, true, true)
}

// attr returns the decoded value of the attribute named key (local name)
// of a start tag, the last one if it is repeated, as with encoding/xml.
func (p *partReader) attr(attrs []byte, key string) (string, bool, error) {
	var val []byte
	found := false
	for i := 0; ; {
		name, v, next, ok, err := p.nextAttr(attrs, i)
		if err != nil {
			return "", false, err
		}
		if !ok {
			break
		}
		if string(name) == key {
			val, found = v, true
		}
		i = next
	}
	return string(p.value(val)), found, nil
}

package tabular

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// excelize's row iterator ends a sheet at the first XML error without
// reporting it (rows.go: `token, _ := rows.decoder.Token()`): a stray "&", an
// entity from a DTD (how entity bombs get in), a byte that is not UTF-8 or a
// part cut short would silently drop every row after it. So each XML part of
// a workbook is scanned byte by byte for exactly those faults, alongside the
// parse, and the sheet is refused if one has any. The scan keeps a few bytes
// of state and costs a fraction of the parse.

// errStopped ends a scan whose sheet was closed before its end.
var errStopped = errors.New("scan stopped")

// partChecker scans the XML parts of a workbook in the background.
type partChecker struct {
	stop  atomic.Bool
	done  chan struct{}
	err   error      // set before done closes
	sheet string     // the name of the sheet being read
	rows  rowCounter // its rows, counted and checked as its part is scanned
}

// checkParts starts scanning every XML part of the workbook at path, and
// counting the rows of its sheet named sheet.
func checkParts(path, sheet string) *partChecker {
	c := &partChecker{done: make(chan struct{}), sheet: sheet}
	go func() {
		defer close(c.done)
		c.err = c.scanAll(path)
	}()
	return c
}

// wait returns the scan's verdict once it is complete.
func (c *partChecker) wait() error {
	<-c.done
	return c.err
}

// close stops the scan and waits for it.
func (c *partChecker) close() {
	c.stop.Store(true)
	<-c.done
}

func (c *partChecker) scanAll(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return errUnreadable("UNREADABLE_FILE", "the workbook cannot be opened as a zip archive (%v): save it again from your spreadsheet program", err)
	}
	defer zr.Close()
	sheetPart := sheetPart(&zr.Reader, c.sheet)
	if sheetPart == "" {
		return errUnreadable("UNREADABLE_FILE", "the workbook's sheet %q cannot be found among its parts: save the file again from your spreadsheet program", c.sheet)
	}
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		if !strings.HasSuffix(name, ".xml") && !strings.HasSuffix(name, ".rels") {
			continue
		}
		rc, err := f.Open()
		if err == nil {
			var r io.Reader = rc
			if f.Name == sheetPart {
				r = io.TeeReader(rc, &c.rows)
			}
			err = checkXML(r, &c.stop)
			rc.Close()
		}
		if _, ok := errs.As(err); ok || errors.Is(err, errStopped) {
			return err
		}
		if err != nil {
			return errUnreadable("UNREADABLE_FILE", "the workbook part %s is damaged (%v), so rows could be lost: save the file again from your spreadsheet program", f.Name, err)
		}
	}
	return nil
}

// scanner states.
const (
	inText    = iota // content or a tag: every "&" starts a reference
	inLT             // after "<": deciding whether a comment, CDATA or PI starts
	inRef            // after "&": reading the reference up to ";"
	inComment        // <!-- … -->
	inCDATA          // <![CDATA[ … ]]>
	inPI             // <? … ?>
)

// xmlScanner checks the faults that excelize would swallow; it is not a
// full XML parser (excelize is): it only has to find what would end a sheet
// early without an error.
type xmlScanner struct {
	state    int
	word     []byte // the bytes after "<" or "&" being read
	last2    [2]byte
	lastByte byte // last byte that is not white space
	carry    []byte
	offset   int64
}

// checkXML reads r to its end and reports the first fault, if any.
func checkXML(r io.Reader, stop *atomic.Bool) error {
	s := &xmlScanner{}
	buf := make([]byte, 32<<10)
	for {
		if stop.Load() {
			return errStopped
		}
		n, err := r.Read(buf)
		if ferr := s.feed(buf[:n]); ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return s.end()
		}
		if err != nil {
			return err
		}
	}
}

func (s *xmlScanner) feed(b []byte) error {
	// A character cut by the last read's end is completed from this one.
	if len(s.carry) > 0 {
		for len(b) > 0 && !utf8.FullRune(s.carry) {
			s.carry, b = append(s.carry, b[0]), b[1:]
		}
		if !utf8.FullRune(s.carry) {
			return nil
		}
		if r, size := utf8.DecodeRune(s.carry); r == utf8.RuneError && size <= 1 {
			return fmt.Errorf("a byte that is not UTF-8 at byte %d", s.offset)
		}
		if err := s.scan(s.carry); err != nil {
			return err
		}
		s.carry = s.carry[:0]
	}
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(b[:cut]) {
		return fmt.Errorf("a byte that is not UTF-8 after byte %d", s.offset)
	}
	if err := s.scan(b[:cut]); err != nil {
		return err
	}
	s.carry = append(s.carry, b[cut:]...)
	return nil
}

func (s *xmlScanner) scan(b []byte) error {
	for _, c := range b {
		s.offset++
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			s.lastByte = c
		}
		switch s.state {
		case inText:
			switch c {
			case '&':
				s.state, s.word = inRef, s.word[:0]
			case '<':
				s.state, s.word = inLT, s.word[:0]
			}
		case inRef:
			if c == ';' {
				if !isReference(s.word) {
					return fmt.Errorf("&%s; is not a character reference (an entity, or a bare & in the text) at byte %d", s.word, s.offset)
				}
				s.state = inText
				continue
			}
			if len(s.word) >= 10 || c == '<' || c == '&' || c == ' ' || c == '"' {
				return fmt.Errorf("a bare & that starts no reference at byte %d", s.offset)
			}
			s.word = append(s.word, c)
		case inLT:
			s.word = append(s.word, c)
			switch w := string(s.word); {
			case w == "!--":
				s.state, s.last2 = inComment, [2]byte{}
			case w == "![CDATA[":
				s.state, s.last2 = inCDATA, [2]byte{}
			case w == "?":
				s.state, s.last2 = inPI, [2]byte{}
			case w == "!DOCTYPE":
				return fmt.Errorf("a DTD (<!DOCTYPE>), which spreadsheet programs never write, at byte %d", s.offset)
			case strings.HasPrefix("!--", w) || strings.HasPrefix("![CDATA[", w) || strings.HasPrefix("!DOCTYPE", w):
				// not decided yet
			default:
				s.state = inText
				if c == '&' {
					s.state, s.word = inRef, s.word[:0]
				}
			}
		case inComment, inCDATA, inPI:
			if c == '>' && closes(s.state, s.last2) {
				s.state = inText
			}
			s.last2 = [2]byte{s.last2[1], c}
		}
	}
	return nil
}

// closes reports whether a ">" after the bytes last2 ends the comment,
// CDATA section or processing instruction being read.
func closes(state int, last2 [2]byte) bool {
	switch state {
	case inComment:
		return last2 == [2]byte{'-', '-'}
	case inCDATA:
		return last2 == [2]byte{']', ']'}
	default:
		return last2[1] == '?'
	}
}

// end checks that the part ended where XML may end: after a tag.
func (s *xmlScanner) end() error {
	switch {
	case len(s.carry) > 0:
		return fmt.Errorf("the part ends inside a character")
	case s.offset == 0:
		return nil // an empty part: excelize reports what it needs
	case s.state != inText || s.lastByte != '>':
		return fmt.Errorf("the part is cut short at byte %d", s.offset)
	}
	return nil
}

// isReference reports whether name (between & and ;) is one of XML's
// predefined entities or a character reference.
func isReference(name []byte) bool {
	switch string(name) {
	case "amp", "lt", "gt", "quot", "apos":
		return true
	}
	if len(name) < 2 || name[0] != '#' {
		return false
	}
	digits, hex := name[1:], false
	if digits[0] == 'x' {
		digits, hex = digits[1:], true
	}
	if len(digits) == 0 {
		return false
	}
	for _, d := range digits {
		ok := d >= '0' && d <= '9' || hex && (d >= 'a' && d <= 'f' || d >= 'A' && d <= 'F')
		if !ok {
			return false
		}
	}
	return true
}

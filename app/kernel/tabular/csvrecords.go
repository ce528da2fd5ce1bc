package tabular

import (
	"bufio"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// recordReader reads CSV records as encoding/csv does with LazyQuotes and
// FieldsPerRecord -1 (the differential fuzz test FuzzRecordReader holds it
// to that), but within bounds, as the bytes stream: a field is kept up to
// maxCell bytes and the rest of it is read past, never held (its row is
// then rejected as too long, like any over-long value); a record of more
// than maxCols fields or maxRow kept bytes refuses the file. encoding/csv
// would first assemble the whole line, however long.
type recordReader struct {
	r     *bufio.Reader
	comma byte

	maxCell, maxRow, maxCols int

	// The bytes that end a run of plain bytes (addPlain) in an unquoted
	// field: the separator and the line ends; in a quoted one: the quote
	// and the line ends (a line end is counted).
	plain, plainQuoted [256]bool

	line    int // lines read ('\n' seen)
	recLine int // line the current record starts on
	buf     []byte
	ends    []int
	fields  []string
	start   int  // where the current field starts in buf
	cut     bool // the current record had a field cut at maxCell
}

func newRecordReader(r *bufio.Reader, comma byte) *recordReader {
	c := &recordReader{r: r, comma: comma, maxCell: MaxCellBytes, maxRow: MaxRowBytes, maxCols: MaxColumns}
	for _, b := range []byte{comma, '\n', '\r'} {
		c.plain[b] = true
	}
	for _, b := range []byte{'"', '\n', '\r'} {
		c.plainQuoted[b] = true
	}
	return c
}

// FieldPos returns the line the current record starts on (encoding/csv's
// FieldPos(0) line), and column 1.
func (c *recordReader) FieldPos(int) (int, int) { return c.recLine, 1 }

// Cut reports whether a field of the record last read was cut at maxCell.
func (c *recordReader) Cut() bool { return c.cut }

// peek returns the next byte without consuming it; ok is false at the end.
func (c *recordReader) peek() (byte, bool, error) {
	b, err := c.r.Peek(1)
	if len(b) == 1 {
		return b[0], true, nil
	}
	if errors.Is(err, io.EOF) {
		return 0, false, nil
	}
	return 0, false, err
}

func (c *recordReader) next() (byte, bool, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		return b, true, nil
	}
	if errors.Is(err, io.EOF) {
		return 0, false, nil
	}
	return 0, false, err
}

// add appends a byte to the current field, within the bounds.
func (c *recordReader) add(b byte) error {
	if len(c.buf)-c.start >= c.maxCell {
		c.cut = true
		return nil
	}
	if len(c.buf) >= c.maxRow {
		return c.tooLarge("more than %d MB of text", c.maxRow>>20)
	}
	c.buf = append(c.buf, b)
	return nil
}

// addPlain adds the buffered bytes up to the first that stop marks (or
// every buffered byte) to the current field at once, as add would one by
// one: most bytes of a field are plain, and a call per byte cost the
// reader more than the bytes themselves.
func (c *recordReader) addPlain(stop *[256]bool) error {
	buf, _ := c.r.Peek(c.r.Buffered())
	n := 0
	for n < len(buf) && !stop[buf[n]] {
		n++
	}
	if n == 0 {
		return nil
	}
	keep := min(n, max(0, c.maxCell-(len(c.buf)-c.start)))
	if keep < n {
		c.cut = true // the rest of the field is read past
	}
	if len(c.buf)+keep > c.maxRow {
		return c.tooLarge("more than %d MB of text", c.maxRow>>20)
	}
	c.buf = append(c.buf, buf[:keep]...)
	_, err := c.r.Discard(n)
	return err
}

// endField closes the current field; a cut field loses the tail of a
// character the cut split.
func (c *recordReader) endField() error {
	if len(c.buf)-c.start >= c.maxCell {
		field := c.buf[c.start:]
		for i := len(field) - 1; i >= 0 && i >= len(field)-utf8.UTFMax; i-- {
			if utf8.RuneStart(field[i]) {
				if !utf8.FullRune(field[i:]) {
					c.buf = c.buf[:c.start+i]
				}
				break
			}
		}
	}
	if len(c.ends) >= c.maxCols {
		return c.tooLarge("more than %d cells", c.maxCols)
	}
	c.ends = append(c.ends, len(c.buf))
	c.start = len(c.buf)
	return nil
}

func (c *recordReader) tooLarge(format string, args ...any) error {
	return errs.E(errs.TooLarge, "ROW_TOO_LARGE", "the row starting on line %d holds "+format+": at most %d cells and %d MB per row are accepted, so the file is refused whole",
		append([]any{c.recLine}, append(args, c.maxCols, c.maxRow>>20)...)...)
}

// Read returns the next record, or io.EOF after the last.
func (c *recordReader) Read() ([]string, error) {
	// Empty lines between records are skipped, as encoding/csv does.
	for {
		b, ok, err := c.peek()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, io.EOF
		}
		if b == '\n' {
			c.r.ReadByte()
			c.line++
			continue
		}
		if b == '\r' {
			two, _ := c.r.Peek(2)
			if len(two) == 2 && two[1] == '\n' {
				c.r.Discard(2)
				c.line++
				continue
			}
			if len(two) == 1 { // a last "\r" is dropped, and the line is empty
				c.r.Discard(1)
				return nil, io.EOF
			}
		}
		break
	}
	c.recLine, c.buf, c.ends, c.start, c.cut = c.line+1, c.buf[:0], c.ends[:0], 0, false
	if err := c.record(); err != nil {
		return nil, err
	}
	str := string(c.buf)
	c.fields = c.fields[:0]
	prev := 0
	for _, e := range c.ends {
		c.fields = append(c.fields, str[prev:e])
		prev = e
	}
	return c.fields, nil
}

// What a '\r' just read is: the end of its line ("\r\n", the '\n' consumed;
// or "\r" at the end of the file, dropped as encoding/csv drops it), or data.
const (
	crData = iota
	crLF
	crEOF
)

func (c *recordReader) cr() (int, error) {
	b, ok, err := c.peek()
	switch {
	case err != nil:
		return crData, err
	case !ok:
		return crEOF, nil
	case b == '\n':
		c.r.ReadByte()
		c.line++
		return crLF, nil
	}
	return crData, nil
}

func (c *recordReader) record() error {
fields:
	for { // one field per turn
		b, ok, err := c.next()
		if err != nil {
			return err
		}
		if !ok {
			return c.endField()
		}
		if b != '"' { // an unquoted field, up to the separator or the line's end
			for {
				switch b {
				case c.comma:
					if err := c.endField(); err != nil {
						return err
					}
					continue fields
				case '\n':
					c.line++
					return c.endField()
				case '\r':
					k, err := c.cr()
					if err != nil {
						return err
					}
					if k != crData {
						return c.endField()
					}
				}
				if err := c.add(b); err != nil {
					return err
				}
				if err := c.addPlain(&c.plain); err != nil {
					return err
				}
				if b, ok, err = c.next(); err != nil {
					return err
				} else if !ok {
					return c.endField()
				}
			}
		}
		for { // a quoted field
			if err := c.addPlain(&c.plainQuoted); err != nil {
				return err
			}
			b, ok, err := c.next()
			if err != nil {
				return err
			}
			if !ok {
				return c.endField()
			}
			switch b {
			case '"':
				n, ok, err := c.peek()
				if err != nil {
					return err
				}
				switch {
				case !ok:
					return c.endField()
				case n == '"': // `""` is a quote
					c.r.ReadByte()
				case n == c.comma:
					c.r.ReadByte()
					if err := c.endField(); err != nil {
						return err
					}
					continue fields
				case n == '\n':
					c.r.ReadByte()
					c.line++
					return c.endField()
				case n == '\r':
					if two, _ := c.r.Peek(2); len(two) == 1 || two[1] == '\n' { // `"\r` at the end, or `"\r\n`
						c.r.Discard(len(two))
						if len(two) == 2 {
							c.line++
						}
						return c.endField()
					}
				}
				// otherwise a bare quote, kept as it is (LazyQuotes)
			case '\n':
				c.line++
			case '\r':
				k, err := c.cr()
				if err != nil {
					return err
				}
				if k == crEOF {
					return c.endField()
				}
				if k == crLF {
					b = '\n'
				}
			}
			if err := c.add(b); err != nil {
				return err
			}
		}
	}
}

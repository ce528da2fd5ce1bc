package tabular

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// xlsxSheet streams a worksheet's rows from one pass over its XML, and
// yields them as excelize's row iterator reads raw cell values (the
// differential tests hold it to that): every row from the first to the
// last, a row the sheet skips empty; each row's cells up to its last that
// holds a value (or a formula), a column it skips empty; a shared string's
// text, an inline string's, any other cell's value as written. Number cells
// in a date format come as ISO dates. Rows and cells out of order, which
// excelize would silently merge, refuse the sheet (ROWS_OUT_OF_ORDER); the
// limits of budget.go refuse it as the bytes stream.
type xlsxSheet struct {
	zr         *zip.ReadCloser
	rc         io.ReadCloser
	p          *partReader // the sheet's part
	sst        *sharedStrings
	dateXf     []bool // which cell formats show a date
	date1904   bool
	estimate   int
	tokensOnly bool   // the fast paths are off (openXLSX)
	release    func() // gives back what the file reserved of the read budget

	num   int // the row Next yields
	cells []string
	err   error

	dataDepth int  // the open elements inside <sheetData>; 0 before it
	ended     bool // </sheetData> was read (or the part ended)
	lastRow   int  // the number of the last <row> read
	pending   bool // a row read ahead: its number is lastRow, its cells next
	next      []string

	// The row being read.
	rowDepth int
	lastCol  int
	rowCells int
	rowBytes int
	values   []cellValue
	rowText  []byte // the values of its cells that are not shared strings, one after another
	blocks   rowBlocks
	// Its number and the closing double quote as a cell reference ends with
	// them, as the first refLen bytes of refWord (fastCell).
	refWord uint64
	refLen  int

	// The cell being read.
	cell cellState
	v    []byte   // its <v>'s text
	is   siReader // its <is>
}

// cellValue is a cell of the row being read: its column, and its value as
// the shared strings' text[start:end] or as rowText[start:end]. It holds no
// pointer: appending one costs no write barrier.
type cellValue struct {
	col, start, end int32
	shared          bool
}

type cellState struct {
	depth     int    // the open elements at its <c>
	col       int    // its column
	typ       []byte // its t attribute
	style     int
	formula   bool
	capture   int // the depth of the <v> being read, 0 if none
	inIS      bool
	skipDepth int // inside an <f> (or a <v> or <is> inside another one): its depth
	bytes     int
}

// toSheetData reads the sheet up to its first row: its dimension on the
// way, for the estimate.
func (s *xlsxSheet) toSheetData() error {
	p := s.p
	for {
		switch p.next() {
		case tokEOF:
			s.ended = true
			return p.err
		case tokStart:
			switch string(p.local) {
			case "dimension":
				ref, _, err := p.attr(p.attrs, "ref")
				if err != nil {
					return err
				}
				if i := bytes.IndexByte([]byte(ref), ':'); i >= 0 {
					if _, r, ok := cellName([]byte(ref[i+1:])); ok {
						s.estimate = r
					}
				}
			case "sheetData":
				if p.empty {
					s.ended = true
				} else {
					s.dataDepth = len(p.marks)
				}
				return nil
			}
		}
	}
}

func (s *xlsxSheet) Next() bool {
	if s.err != nil {
		return false
	}
	if !s.pending && !s.ended {
		if s.err = s.readRow(); s.err != nil {
			return false
		}
	}
	if s.pending {
		s.num++
		if s.num == s.lastRow {
			s.cells, s.next, s.pending = s.next, nil, false
		} else {
			s.cells = nil // a row the sheet skips
		}
		return true
	}
	// The sheet's rows are over: the rest of its part still has to be sound.
	s.cells = nil
	s.err = s.p.drain()
	return false
}

// readRow reads the next <row> of sheetData, or up to its end.
func (s *xlsxSheet) readRow() error {
	p := s.p
	for {
		if s.rowDepth == 0 && s.dataDepth == len(p.marks) && !p.inCDATA {
			if read, empty := s.fastRow(); read && empty {
				return s.endRow()
			}
		}
		if s.rowDepth > 0 && s.rowDepth == len(p.marks) && s.cell.depth == 0 && !p.inCDATA {
			for s.fastCell() {
			}
			if p.closes("row") {
				return s.endRow()
			}
		}
		switch p.next() {
		case tokEOF:
			if p.err != nil {
				return p.err
			}
			s.ended = true
			return nil
		case tokStart:
			if s.rowDepth == 0 {
				if string(p.local) != "row" {
					continue
				}
				if err := s.startRow(); err != nil {
					return err
				}
				if p.empty {
					return s.endRow()
				}
				continue
			}
			if s.cell.depth == 0 {
				if string(p.local) != "c" {
					continue
				}
				if err := s.startCell(); err != nil {
					return err
				}
				if p.empty {
					if err := s.endCell(); err != nil {
						return err
					}
				} else if err := s.plainCell(); err != nil {
					return err
				}
				continue
			}
			s.cellStart()
		case tokText:
			if s.cell.depth == 0 {
				continue
			}
			if err := s.cellText(len(p.text)); err != nil {
				return err
			}
			depth := len(p.marks)
			switch {
			case s.cell.skipDepth > 0:
			case s.cell.capture == depth:
				s.v = p.appendText(s.v)
			case s.cell.inIS:
				s.is.text(p, depth)
			}
		case tokEnd:
			depth := len(p.marks) + 1
			switch {
			case s.cell.depth == depth:
				if err := s.endCell(); err != nil {
					return err
				}
			case s.cell.depth > 0:
				s.cellEnd(depth)
			case s.rowDepth == depth:
				return s.endRow()
			case depth == s.dataDepth:
				s.ended = true
				return nil
			}
		}
	}
}

// cellText counts n bytes of a cell's text against the limits.
func (s *xlsxSheet) cellText(n int) error {
	if s.cell.bytes += n; s.cell.bytes > MaxCellBytes {
		return s.tooLarge("CELL_TOO_LARGE", "a cell of more than %d KB (a cell holds at most 32,767 characters)", MaxCellBytes>>10)
	}
	if s.rowBytes += n; s.rowBytes > MaxRowBytes {
		return s.tooLarge("ROW_TOO_LARGE", "a row of more than %d MB of text", MaxRowBytes>>20)
	}
	return nil
}

// plainCell reads what most cells hold after their start tag, <v>text</v>
// or <is><t>text</t></is>, and their end tag, without a token each; any
// other cell is left to readRow.
func (s *xlsxSheet) plainCell() error {
	p := s.p
	switch {
	case p.plain("v", ""):
		if p.err != nil {
			return p.err
		}
		if err := s.cellText(len(p.text)); err != nil {
			return err
		}
		s.v = p.appendText(s.v[:0])
	case p.plain("is", "t"):
		if p.err != nil {
			return p.err
		}
		if err := s.cellText(len(p.text)); err != nil {
			return err
		}
		s.is.begin(0)
		s.is.t, s.is.done = p.appendText(s.is.t), true
	default:
		return nil
	}
	if p.closes("c") {
		return s.endCell()
	}
	return nil
}

func (s *xlsxSheet) startRow() error {
	p := s.p
	n := s.lastRow + 1 // a row without a number follows the one before
	v, ok, err := p.attr(p.attrs, "r")
	if err != nil {
		return err
	}
	if ok {
		r, good := decimal([]byte(v))
		if !good {
			return s.unreadable("row %d of the sheet has the number %q", n, v)
		}
		if r > maxRows {
			return errUnreadable("TOO_MANY_ROWS", "the sheet has more rows than a spreadsheet can hold")
		}
		n = r
	}
	if n <= s.lastRow {
		return errs.Invalidf("ROWS_OUT_OF_ORDER", "the sheet's row %d comes after its row %d: rows must be in order, each once; save the file again from your spreadsheet program", n, s.lastRow)
	}
	s.beginRow(n, p.empty)
	return nil
}

// beginRow starts row n, whose start tag was read (and closes itself if empty).
func (s *xlsxSheet) beginRow(n int, empty bool) {
	s.lastRow, s.lastCol, s.rowCells, s.rowBytes = n, 0, 0, 0
	s.values, s.rowText = s.values[:0], s.rowText[:0]
	// n's digits (1 to 7: 0 < n <= maxRows) and the quote, by hand:
	// strconv.AppendInt cost 1.4% of the reader's time.
	var ref [8]byte
	digits := 1
	for m := n; m >= 10; m /= 10 {
		digits++
	}
	for i, m := digits-1, n; i >= 0; i, m = i-1, m/10 {
		ref[i] = byte('0' + m%10)
	}
	ref[digits] = '"'
	s.refLen = digits + 1
	s.refWord = binary.LittleEndian.Uint64(ref[:])
	s.rowDepth = len(s.p.marks)
	if empty {
		s.rowDepth++
	}
}

// maxRows is the most rows a sheet holds (Excel's, and excelize's TotalRows).
const maxRows = 1_048_576

func (s *xlsxSheet) startCell() error {
	p := s.p
	if s.rowCells++; s.rowCells > MaxColumns {
		return s.tooLarge("ROW_TOO_LARGE", "a row of more than %d cells", MaxColumns)
	}
	c := cellState{depth: len(p.marks), col: s.lastCol + 1}
	if p.empty {
		c.depth++
	}
	for i := 0; ; {
		name, val, next, ok, err := p.nextAttr(p.attrs, i)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		i = next
		if len(name) != 1 {
			continue
		}
		switch name[0] {
		case 'r':
			ref := p.value(val)
			col, row, good := cellName(ref)
			if !good {
				if row > maxRows {
					return errUnreadable("TOO_MANY_ROWS", "the sheet has more rows than a spreadsheet can hold")
				}
				return s.unreadable("a cell of row %d of the sheet has the reference %q", s.lastRow, ref)
			}
			c.col = col
		case 's':
			st, good := decimal(p.value(val))
			if !good {
				return s.unreadable("a cell of row %d of the sheet has the style %q", s.lastRow, val)
			}
			c.style = st
		case 't':
			c.typ = append(s.cell.typ[:0], p.value(val)...)
		}
	}
	if c.col <= s.lastCol {
		return errs.Invalidf("ROWS_OUT_OF_ORDER", "in row %d of the sheet, a cell of column %d comes after a cell to its right: cells must be in column order, each once; save the file again from your spreadsheet program", s.lastRow, c.col)
	}
	s.lastCol = c.col
	s.cell, s.v = c, s.v[:0]
	return nil
}

// cellStart handles a start tag inside a cell: its value, formula or
// inline string, at any depth as excelize finds them.
func (s *xlsxSheet) cellStart() {
	p, c := s.p, &s.cell
	depth := len(p.marks)
	if p.empty {
		depth++
	}
	switch {
	case c.skipDepth > 0:
	case c.capture > 0:
		// An element inside <v>: its text is not the value's.
	case c.inIS:
		s.is.start(p.local, p.empty, depth)
	default:
		switch string(p.local) {
		case "v":
			s.v = s.v[:0] // the last <v> is the value
			if !p.empty {
				c.capture = depth
			}
		case "f":
			c.formula = true
			if !p.empty {
				c.skipDepth = depth
			}
		case "is":
			if !p.empty {
				c.inIS = true
				s.is.begin(depth)
			}
		}
	}
}

// cellEnd handles an end tag inside a cell, of an element open at depth.
func (s *xlsxSheet) cellEnd(depth int) {
	c := &s.cell
	switch {
	case c.skipDepth > 0:
		if depth == c.skipDepth {
			c.skipDepth = 0
		}
	case c.capture > 0:
		if depth == c.capture {
			c.capture = 0
		}
	case c.inIS:
		if depth == s.is.depth {
			c.inIS = false
			s.is.done = true
		} else {
			s.is.end(depth)
		}
	}
}

// endCell works out the cell's value, as excelize's getValueFrom does with
// raw values.
func (s *xlsxSheet) endCell() error {
	c := &s.cell
	err := s.addValue(c.col, c.typ, c.style, c.formula, s.v, s.is.done, s.is.t, s.is.runs)
	s.is.done = false
	s.cell = cellState{typ: c.typ[:0]}
	return err
}

// addValue adds the value of the cell of column col, of type typ and style
// to the row, from its <v>'s text v (decoded) or, when inline, its <is>'s
// direct text t and runs' text. On an error it has changed nothing but
// rowBytes.
func (s *xlsxSheet) addValue(col int, typ []byte, style int, formula bool, v []byte, inline bool, t, runs []byte) error {
	cv := cellValue{col: int32(col), start: int32(len(s.rowText))}
	switch string(typ) {
	case "s":
		cv.shared, cv.start = true, 0
		if len(v) > 0 {
			i, ok := decimal(v)
			if !ok {
				i, ok = decimal(bytes.TrimSpace(v))
			}
			start, end, found := s.sst.span(i)
			if !ok || !found {
				return s.unreadable("a cell of row %d of the sheet cites the shared string %q, which the workbook does not have", s.lastRow, v)
			}
			if s.rowBytes += int(end - start); s.rowBytes > MaxRowBytes {
				return s.tooLarge("ROW_TOO_LARGE", "a row of more than %d MB of text once its shared strings are filled in", MaxRowBytes>>20)
			}
			cv.start, cv.end = int32(start), int32(end)
		}
	case "inlineStr":
		if inline {
			s.rowText = unescapeBSTR(append(append(s.rowText, t...), runs...), int(cv.start))
			break
		}
		fallthrough
	default:
		if len(typ) == 0 || string(typ) == "n" {
			if style >= 0 && style < len(s.dateXf) && s.dateXf[style] && len(v) > 0 {
				if d, ok := serialDate(string(v), s.date1904); ok {
					s.rowText = append(s.rowText, d...)
					break
				}
			}
		}
		s.rowText = append(s.rowText, v...)
	}
	if !cv.shared {
		cv.end = int32(len(s.rowText))
	}
	if cv.end > cv.start || formula {
		s.values = append(s.values, cv)
	}
	return nil
}

// endRow makes the row's cells.
func (s *xlsxSheet) endRow() error {
	s.rowDepth, s.pending = 0, true
	if len(s.values) == 0 {
		s.next = nil
		return nil
	}
	text := s.blocks.string(s.rowText)
	cells := s.blocks.row(int(s.values[len(s.values)-1].col))
	for _, v := range s.values {
		if v.shared {
			cells[v.col-1] = s.sst.text[v.start:v.end]
		} else {
			cells[v.col-1] = text[v.start:v.end]
		}
	}
	s.next = cells
	return nil
}

func (s *xlsxSheet) unreadable(format string, args ...any) error {
	return errUnreadable("UNREADABLE_FILE", format+": save the file again from your spreadsheet program", args...)
}

func (s *xlsxSheet) tooLarge(code, format string, args ...any) *errs.Error {
	return errs.E(errs.TooLarge, code, "the workbook part %s (at its row %s) holds %s: at most %s are accepted, so the file is refused whole",
		s.p.name, strconv.Itoa(s.lastRow), fmt.Sprintf(format, args...), limitsHint(code))
}

func (s *xlsxSheet) Row() (int, []string) { return s.num, s.cells }
func (s *xlsxSheet) Err() error           { return s.err }
func (s *xlsxSheet) Estimate() int        { return s.estimate }

// Held is the number of the sheet's last row, as its XML numbers it.
func (s *xlsxSheet) Held() int { return s.lastRow }

func (s *xlsxSheet) Close() error {
	if s.release != nil {
		defer s.release()
	}
	if s.rc != nil {
		s.rc.Close()
	}
	return s.zr.Close()
}

// cellName reads a cell reference as excelize's CellNameToCoordinates
// does: letters (and $) for the column, then a row number; the row is
// returned, above maxRows, when that alone is wrong.
func cellName(ref []byte) (col, row int, ok bool) {
	alpha := func(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '$' }
	if len(ref) == 0 || !alpha(ref[0]) {
		return 0, 0, false
	}
	last := len(ref) - 1
	for last >= 0 && !alpha(ref[last]) {
		last--
	}
	if last == len(ref)-1 {
		return 0, 0, false
	}
	row, good := signedDecimal(ref[last+1:])
	if !good || row <= 0 {
		return 0, 0, false
	}
	if row > maxRows {
		return 0, row, false
	}
	for _, c := range ref[:last+1] {
		switch {
		case c == '$':
			continue
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a'+1)
		default:
			return 0, 0, false
		}
		if col > MaxColumns {
			return 0, 0, false
		}
	}
	return col, row, col > 0
}

// decimal reads a number written in decimal digits, as a row number,
// style or string index is.
func decimal(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	return n, true
}

// signedDecimal reads an integer as strconv.Atoi does.
func signedDecimal(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	n, ok := decimal(b)
	if neg {
		n = -n
	}
	return n, ok
}

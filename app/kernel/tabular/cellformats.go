package tabular

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// excelize reads raw cell values without their number formats, so a number
// cell would not say whether it holds a date. The workbook's styles tell
// which cell formats (cellXfs) show a date, and a light scan of the sheet's
// XML, alongside excelize's reader, tells which number cells of each row
// have one of those formats. Those cells, and only those, are turned into
// ISO dates (2029-06-30, or 2029-06-30 18:00:00 with a time of day), in the
// workbook's 1900 or 1904 date system. Every other number stays the number
// it is. Where the scan and excelize could disagree about a row (a row
// number out of order, a cell tag the scan does not read), the row's cells
// are left as numbers: a date may then be refused, never invented.

// maxCellFormats bounds the cell formats read from styles.xml: Excel keeps
// at most 64,000.
const maxCellFormats = 64000

// maxStylesBytes bounds the styles part read for the formats.
const maxStylesBytes = 16 << 20

// dateRow is one sheet row's number cells in a date format.
type dateRow struct {
	num  int
	cols []int // 1-based, increasing
}

// cellFormats follows a sheet's rows and converts their date cells.
type cellFormats struct {
	date1904 bool
	rows     chan dateRow
	pending  dateRow
	havePend bool
	stop     atomic.Bool
	done     chan struct{}
}

// readCellFormats prepares the date cells of sheet (the name excelize uses)
// in the workbook at file. It returns nil when no cell format of the
// workbook is a date format, or the parts cannot be found: then no cell is
// a date.
func readCellFormats(file, sheet string, date1904 bool) *cellFormats {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil
	}
	parts := map[string]*zip.File{}
	for _, f := range zr.File {
		parts[strings.TrimPrefix(f.Name, "/")] = f
	}
	wb := "xl/workbook.xml"
	for _, rel := range readRels(parts["_rels/.rels"]) {
		if strings.HasSuffix(rel.Type, "/officeDocument") {
			wb = partPath("", rel.Target)
		}
	}
	stylesPart, sheetPart := path.Join(path.Dir(wb), "styles.xml"), ""
	rid := sheetRelID(parts[wb], sheet)
	for _, rel := range readRels(parts[path.Join(path.Dir(wb), "_rels", path.Base(wb)+".rels")]) {
		switch {
		case strings.HasSuffix(rel.Type, "/styles"):
			stylesPart = partPath(path.Dir(wb), rel.Target)
		case rel.ID == rid && rid != "":
			sheetPart = partPath(path.Dir(wb), rel.Target)
		}
	}
	dateXf := readDateXfs(parts[stylesPart])
	if !slices.Contains(dateXf, true) || parts[sheetPart] == nil {
		zr.Close()
		return nil
	}
	c := &cellFormats{date1904: date1904, rows: make(chan dateRow, 16), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer close(c.rows)
		defer zr.Close()
		rc, err := parts[sheetPart].Open()
		if err != nil {
			return
		}
		defer rc.Close()
		scanDateCells(rc, dateXf, &c.stop, c.rows)
	}()
	return c
}

// apply turns the date cells of row num into ISO dates. Rows come in
// increasing order, as excelize yields them.
func (c *cellFormats) apply(num int, cells []string) {
	if c == nil {
		return
	}
	for !c.havePend || c.pending.num < num {
		r, ok := <-c.rows
		if !ok {
			return
		}
		c.pending, c.havePend = r, true
	}
	if c.pending.num != num {
		return
	}
	for _, col := range c.pending.cols {
		if col <= len(cells) {
			if d, ok := serialDate(cells[col-1], c.date1904); ok {
				cells[col-1] = d
			}
		}
	}
}

// close stops the scan and waits for it.
func (c *cellFormats) close() {
	if c == nil {
		return
	}
	c.stop.Store(true)
	for range c.rows {
	}
	<-c.done
}

// serialDate reads a date cell's number as Excel does: days since
// 1899-12-31 (with Excel's 29 February 1900, which never was: refused) or,
// in the 1904 system, since 1904-01-01; a fraction is the time of day.
func serialDate(raw string, date1904 bool) (string, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v >= 3e6 {
		return "", false
	}
	days := math.Floor(v)
	secs := math.Round((v - days) * 86400)
	if secs >= 86400 {
		days, secs = days+1, 0
	}
	var t time.Time
	switch d := int(days); {
	case date1904:
		t = time.Date(1904, 1, 1+d, 0, 0, int(secs), 0, time.UTC)
	case d == 0 || d == 60: // 1900-01-00 and 1900-02-29 are no dates
		return "", false
	case d < 60:
		t = time.Date(1899, 12, 31+d, 0, 0, int(secs), 0, time.UTC)
	default:
		t = time.Date(1899, 12, 30+d, 0, 0, int(secs), 0, time.UTC)
	}
	if t.Year() > 9999 {
		return "", false
	}
	if secs == 0 {
		return t.Format(time.DateOnly), true
	}
	return t.Format(time.DateTime), true
}

// partPath resolves a relationship target against the folder of its source part.
func partPath(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean(path.Join(dir, target)), "/")
}

type relationship struct {
	ID     string `xml:"Id,attr"`
	Type   string `xml:"Type,attr"`
	Target string `xml:"Target,attr"`
}

func readRels(f *zip.File) []relationship {
	var rels struct {
		Rel []relationship `xml:"Relationship"`
	}
	if f == nil || f.UncompressedSize64 > maxStylesBytes {
		return nil
	}
	if rc, err := f.Open(); err == nil {
		_ = xml.NewDecoder(io.LimitReader(rc, maxStylesBytes)).Decode(&rels)
		rc.Close()
	}
	return rels.Rel
}

// sheetRelID returns the relationship id of the sheet named name (any case, as excelize finds it).
func sheetRelID(f *zip.File, name string) string {
	var wb struct {
		Sheets []struct {
			Name string     `xml:"name,attr"`
			Attr []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if f == nil || f.UncompressedSize64 > maxStylesBytes {
		return ""
	}
	if rc, err := f.Open(); err == nil {
		_ = xml.NewDecoder(io.LimitReader(rc, maxStylesBytes)).Decode(&wb)
		rc.Close()
	}
	for _, s := range wb.Sheets {
		if strings.EqualFold(s.Name, name) {
			for _, a := range s.Attr {
				if a.Name.Local == "id" {
					return a.Value
				}
			}
		}
	}
	return ""
}

// readDateXfs reads styles.xml: for each cell format (cellXfs), whether its
// number format is a date format. A custom format (numFmts) takes
// precedence over the built-in one of the same id.
func readDateXfs(f *zip.File) []bool {
	if f == nil {
		return nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	custom := map[int]bool{}
	var xfs []int // numFmtId of each cell format
	d := xml.NewDecoder(io.LimitReader(rc, maxStylesBytes))
	depth, inCellXfs, inNumFmts := 0, false, false
	for {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch t.Name.Local {
			case "numFmts":
				inNumFmts = depth == 2
			case "numFmt": // also in dxfs, for conditional formats: not these
				id, err := strconv.Atoi(attr(t, "numFmtId"))
				if inNumFmts && depth == 3 && err == nil && len(custom) < maxCellFormats {
					code := attr(t, "formatCode")
					if c16 := attr(t, "formatCode16"); c16 != "" {
						code = c16
					}
					custom[id] = isDateFormat(code)
				}
			case "cellXfs":
				inCellXfs = depth == 2
			case "xf":
				if inCellXfs && depth == 3 && len(xfs) < maxCellFormats {
					id, _ := strconv.Atoi(attr(t, "numFmtId"))
					xfs = append(xfs, id)
				}
			}
		case xml.EndElement:
			depth--
			switch t.Name.Local {
			case "cellXfs":
				inCellXfs = false
			case "numFmts":
				inNumFmts = false
			}
		}
	}
	out := make([]bool, len(xfs))
	for i, id := range xfs {
		if date, ok := custom[id]; ok {
			out[i] = date
		} else {
			out[i] = builtinDate(id)
		}
	}
	return out
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// scanDateCells reads a worksheet's XML and sends, for each row that has
// any, the columns of its number cells whose format is a date format. It
// reads tags only, as excelize does: a row's number is its r attribute, or
// the previous row's plus one; a cell's column its r attribute, or the
// previous cell's plus one. A row it cannot read as surely as excelize (a
// tag longer than it keeps, a reference it cannot decode) is not sent.
func scanDateCells(r io.Reader, dateXf []bool, stop *atomic.Bool, out chan<- dateRow) {
	s := &sheetScan{dateXf: dateXf, out: out, stop: stop}
	buf := make([]byte, 64<<10)
	for !stop.Load() && !s.done {
		n, err := r.Read(buf)
		s.feed(buf[:n])
		if err != nil {
			break
		}
	}
	s.endRow()
}

// sheetScan states.
const (
	scanText     = iota
	scanTagStart // after "<"
	scanBang     // after "<!": a comment, CDATA or a declaration
	scanTag      // inside < … >, quote tracks a quoted attribute value
	scanComment  // <!-- … -->
	scanCDATA    // <![CDATA[ … ]]>
	scanPI       // <? … ?>
)

// maxTagBytes is the longest tag the scan keeps to read attributes from.
const maxTagBytes = 4 << 10

type sheetScan struct {
	dateXf []bool
	out    chan<- dateRow
	stop   *atomic.Bool

	state    int
	quote    byte
	tag      []byte
	long     bool // the tag is longer than maxTagBytes
	last2    [2]byte
	done     bool
	row      dateRow
	inRow    bool
	rowNum   int
	col      int
	rowFails bool // this row cannot be matched surely
}

func (s *sheetScan) feed(b []byte) {
	for i := 0; i < len(b) && !s.done; {
		switch s.state {
		case scanText:
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				return
			}
			i += j + 1
			s.state, s.tag, s.long, s.quote = scanTagStart, s.tag[:0], false, 0
		case scanTagStart:
			switch b[i] {
			case '?':
				s.state, s.last2 = scanPI, [2]byte{}
				i++
			case '!':
				s.state, s.tag = scanBang, append(s.tag, '!')
				i++
			default:
				s.state = scanTag
			}
		case scanBang:
			s.tag = append(s.tag, b[i])
			i++
			switch w := string(s.tag); {
			case w == "!--":
				s.state, s.last2 = scanComment, [2]byte{}
			case w == "![CDATA[":
				s.state, s.last2 = scanCDATA, [2]byte{}
			case !strings.HasPrefix("!--", w) && !strings.HasPrefix("![CDATA[", w):
				s.state = scanTag // a declaration: read to its ">"
				if w[len(w)-1] == '>' {
					s.state = scanText
				}
			}
		case scanTag:
			if s.quote != 0 {
				j := bytes.IndexByte(b[i:], s.quote)
				if j < 0 {
					s.keep(b[i:])
					return
				}
				s.keep(b[i : i+j+1])
				i += j + 1
				s.quote = 0
				continue
			}
			j := i
			for j < len(b) && b[j] != '>' && b[j] != '"' && b[j] != '\'' {
				j++
			}
			if j == len(b) {
				s.keep(b[i:])
				return
			}
			c, j := b[j], j-i
			if c == '>' {
				s.keep(b[i : i+j])
				i += j + 1
				s.state = scanText
				s.endTag()
				continue
			}
			s.keep(b[i : i+j+1])
			i += j + 1
			s.quote = c
		case scanComment, scanCDATA, scanPI:
			c := b[i]
			i++
			if c == '>' && s.closes() {
				s.state = scanText
			}
			s.last2 = [2]byte{s.last2[1], c}
		}
	}
}

// keep appends a piece of the tag being read, up to maxTagBytes.
func (s *sheetScan) keep(b []byte) {
	if room := maxTagBytes - len(s.tag); len(b) > room {
		b, s.long = b[:max(room, 0)], true
	}
	s.tag = append(s.tag, b...)
}

// closes reports whether a ">" now ends the comment, CDATA section or
// processing instruction being read.
func (s *sheetScan) closes() bool {
	switch s.state {
	case scanComment:
		return s.last2 == [2]byte{'-', '-'}
	case scanCDATA:
		return s.last2 == [2]byte{']', ']'}
	}
	return s.last2[1] == '?'
}

// endTag handles the tag just read (without its < and >).
func (s *sheetScan) endTag() {
	tag := s.tag
	end := len(tag) > 0 && tag[0] == '/'
	if end {
		tag = tag[1:]
	}
	n := 0
	for n < len(tag) && !isSpace(tag[n]) && tag[n] != '/' {
		n++
	}
	name := tag[:n]
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	switch string(name) {
	case "sheetData":
		if end {
			s.endRow()
			s.done = true
		}
	case "row":
		if end {
			return
		}
		s.endRow()
		s.inRow, s.col, s.rowFails = true, 0, s.long
		a := readAttrs(tag[n:])
		if num, ok := atoi(a.r); a.hasR && ok && num != 0 {
			s.rowNum = num
		} else {
			s.rowNum++
		}
		s.row = dateRow{num: s.rowNum}
	case "c":
		if end || !s.inRow {
			return
		}
		a := readAttrs(tag[n:])
		if s.long || a.bad {
			s.rowFails = true
			return
		}
		s.col++
		if len(a.r) > 0 {
			col, ok := refColumn(a.r)
			if !ok {
				s.rowFails = true
				return
			}
			s.col = col
		}
		if len(a.t) > 0 && string(a.t) != "n" {
			return
		}
		id := 0 // a cell without a style has the first cell format
		if a.hasS {
			var ok bool
			if id, ok = atoi(a.s); !ok {
				s.rowFails = true
				return
			}
		}
		if id >= 0 && id < len(s.dateXf) && s.dateXf[id] {
			s.row.cols = append(s.row.cols, s.col)
		}
	}
}

// cellAttrs are the attributes of a row or cell tag the scan reads.
type cellAttrs struct {
	r, s, t    []byte
	hasR, hasS bool
	bad        bool // a value it cannot decode
}

// readAttrs reads the r, s and t attributes (any namespace prefix) of the
// rest of a tag, character references decoded.
func readAttrs(tag []byte) cellAttrs {
	var a cellAttrs
	for i := 0; i < len(tag); {
		for i < len(tag) && (isSpace(tag[i]) || tag[i] == '/') {
			i++
		}
		start := i
		for i < len(tag) && tag[i] != '=' && !isSpace(tag[i]) {
			i++
		}
		key := tag[start:i]
		for i < len(tag) && (isSpace(tag[i]) || tag[i] == '=') {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			i++
			continue
		}
		q := tag[i]
		j := bytes.IndexByte(tag[i+1:], q)
		if j < 0 {
			a.bad = true
			return a
		}
		val := tag[i+1 : i+1+j]
		i += j + 2
		if k := bytes.IndexByte(key, ':'); k >= 0 {
			key = key[k+1:]
		}
		if len(key) != 1 || (key[0] != 'r' && key[0] != 's' && key[0] != 't') {
			continue
		}
		if bytes.IndexByte(val, '&') >= 0 {
			var dec struct {
				V string `xml:"v,attr"`
			}
			if err := xml.Unmarshal([]byte(`<a v="`+strings.ReplaceAll(string(val), `"`, "&quot;")+`"/>`), &dec); err != nil {
				a.bad = true
				return a
			}
			val = []byte(dec.V)
		}
		switch key[0] {
		case 'r':
			a.r, a.hasR = val, true
		case 's':
			a.s, a.hasS = val, true
		case 't':
			a.t = val
		}
	}
	return a
}

// atoi reads a decimal integer as strconv.Atoi does, without allocating.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	neg := b[0] == '-'
	if b[0] == '-' || b[0] == '+' {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// endRow sends the row read so far, if it has date cells.
func (s *sheetScan) endRow() {
	if !s.inRow {
		return
	}
	s.inRow = false
	if s.rowFails || len(s.row.cols) == 0 {
		return
	}
	if s.stop.Load() {
		return
	}
	s.out <- s.row
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// refColumn returns the column number of a cell reference such as AB12.
func refColumn(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > 16384 {
			return 0, false
		}
	}
	if i == 0 || i == len(ref) {
		return 0, false
	}
	if _, ok := atoi(ref[i:]); !ok {
		return 0, false
	}
	return col, true
}

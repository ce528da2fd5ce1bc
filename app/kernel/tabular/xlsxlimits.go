package tabular

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// excelize holds a workbook's parts in memory, except a worksheet or the
// shared strings above xmlInMemory bytes (those it streams from a temporary
// file); it decodes the shared strings whole at the first row, and each
// cell of a row whole. So before excelize opens a workbook, openXLSX scans
// it here: the zip directory for what excelize will hold, and every XML
// part, as a stream, for what excelize would assemble (a cell, a shared
// string, a row, a tag, a part's elements). A file over a limit is refused
// before excelize has spent the memory; a file within them gets its cost,
// which it reserves from the read budget.

// xmlInMemory is excelize's UnzipXMLSizeLimit as openXLSX sets it.
const xmlInMemory = 16 << 20

// openXLSX scans the workbook, reserves its cost and opens it.
func openXLSX(path string, lim Limits, preferredSheet string) (*xlsxSheet, error) {
	cost, err := scanWorkbook(path, lim)
	if err != nil {
		return nil, err
	}
	release := readBudget.reserve(cost)
	s, err := openWorkbook(path, lim, preferredSheet)
	if err != nil {
		release()
		return nil, err
	}
	s.release = release
	return s, nil
}

// scanWorkbook returns what reading the workbook at path will cost, or the
// limit it breaks. A file that is not a readable zip costs nothing here:
// excelize says what is wrong with it.
func scanWorkbook(path string, lim Limits) (int64, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, nil
	}
	defer zr.Close()
	inMemory := min(int64(xmlInMemory), lim.MaxUnzippedBytes)
	var unzipped, held, cost int64
	// The shared strings first: a worksheet's rows are measured with the
	// strings they cite.
	files := slices.Clone(zr.File)
	slices.SortStableFunc(files, func(a, b *zip.File) int {
		return cmpBool(isSharedStrings(b.Name), isSharedStrings(a.Name))
	})
	var shared []uint32
	for _, f := range files {
		size := int64(f.UncompressedSize64) // archive/zip refuses a part that inflates past it
		unzipped += size
		if unzipped > lim.MaxUnzippedBytes || size < 0 {
			return 0, errs.E(errs.TooLarge, "FILE_TOO_LARGE", "the workbook decompresses to more than %d MB: it is too large, or not a genuine spreadsheet", lim.MaxUnzippedBytes>>20)
		}
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		kind := partOther
		switch {
		case isSharedStrings(name):
			kind = partShared
		case strings.HasPrefix(name, "xl/worksheets/"):
			kind = partSheet
		}
		streamed := size > inMemory && (kind == partShared || strings.HasPrefix(name, "xl/worksheets/sheet"))
		if !streamed {
			held += size
		}
		if !strings.HasSuffix(name, ".xml") && !strings.HasSuffix(name, ".rels") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return 0, nil // excelize reports the damaged part
		}
		sc := &limitScanner{part: f.Name, kind: kind, shared: shared}
		err = sc.scan(rc)
		rc.Close()
		if err != nil {
			return 0, err
		}
		if kind == partShared {
			shared = sc.lengths
		}
		cost += sc.cost()
	}
	cost += fileOverhead + held + RowCost
	if cost > MaxFileCost {
		return 0, errs.E(errs.TooLarge, "FILE_TOO_LARGE", "reading this workbook would take about %d MB of memory; at most %d MB are available to one file: save it as CSV UTF-8, or split it", cost>>20, MaxFileCost>>20).
			WithDetails(map[string]any{"cost_mb": cost >> 20, "max_mb": MaxFileCost >> 20})
	}
	return cost, nil
}

// isSharedStrings reports whether a part is the one excelize reads as the shared strings.
func isSharedStrings(name string) bool {
	return strings.EqualFold(strings.ReplaceAll(name, "\\", "/"), "xl/sharedStrings.xml")
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// part kinds.
const (
	partOther  = iota // decoded whole by excelize: elements bounded
	partShared        // the shared strings: decoded whole, its own limits
	partSheet         // a worksheet: streamed row by row
)

// scanner states.
const (
	lsText    = iota // character data
	lsTag            // inside < … >
	lsComment        // <!-- … -->
	lsCDATA          // <![CDATA[ … ]]>
	lsPI             // <? … ?>
)

// limitScanner reads one XML part and enforces the limits on what excelize
// would assemble from it. It is not an XML parser: the fault scan
// (xmlcheck.go) and excelize judge the XML itself.
type limitScanner struct {
	part string
	kind int

	state   int
	textRun int    // bytes of the current character data
	blank   bool   // and it is all white space so far
	tagLen  int    // bytes of the current tag, comment, CDATA or PI
	quote   byte   // the quote an attribute value opened, inside a tag
	name    []byte // the tag's name as far as read (at most 16 bytes)
	named   bool   // the name is complete
	last    byte   // last byte of the tag that is not white space
	last2   [2]byte

	inCell    bool // inside <c> (a worksheet) or <si> (the shared strings)
	cellBytes int
	rows      int // <row> elements seen
	rowBytes  int
	rowCells  int

	// The shared strings' lengths: collected from the shared-strings part,
	// used for a worksheet's cells that cite them (t="s").
	lengths []uint32
	shared  []uint32
	attr    []byte // the attribute name being read in a tag
	attrSep bool   // the next name byte starts a new attribute name
	capT    bool   // the value being read is the t attribute's
	tVal    []byte
	sharedC bool // the current cell cites a shared string
	inV     bool // inside its <v>
	index   int  // the string it cites, as far as read; -1 when not a number

	strings   int   // <si> elements
	elements  int64 // start tags
	textBytes int64 // character data in all
}

// isBlank reports whether b is all XML white space.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

func (s *limitScanner) scan(r io.Reader) error {
	s.blank = true
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if ferr := s.feed(buf[:n]); ferr != nil {
			return ferr
		}
		if err != nil {
			return nil // the end, or a damaged part: the fault scan and excelize report that
		}
	}
}

func (s *limitScanner) feed(b []byte) error {
	for len(b) > 0 {
		switch s.state {
		case lsText:
			i := bytes.IndexByte(b, '<')
			n := i
			if i < 0 {
				n = len(b)
			}
			if s.blank {
				s.blank = isBlank(b[:n])
			}
			if err := s.text(b[:n]); err != nil {
				return err
			}
			if i < 0 {
				return nil
			}
			b = b[i+1:]
			s.state, s.tagLen, s.quote, s.name, s.named, s.last, s.blank = lsTag, 0, 0, s.name[:0], false, 0, true
			s.attr, s.attrSep, s.capT, s.tVal = s.attr[:0], true, false, s.tVal[:0]
		case lsTag:
			i, err := s.tag(b)
			if err != nil {
				return err
			}
			b = b[i:]
		default: // comment, CDATA, PI: up to their terminator
			i := 0
			for ; i < len(b); i++ {
				c := b[i]
				s.tagLen++
				if s.state == lsCDATA {
					if err := s.text(b[i : i+1]); err != nil {
						return err
					}
				} else if s.tagLen > MaxCellBytes {
					return s.tooLarge("CELL_TOO_LARGE", "a comment or instruction of more than %d KB", MaxCellBytes>>10)
				}
				if c == '>' && (s.state == lsComment && s.last2 == [2]byte{'-', '-'} ||
					s.state == lsCDATA && s.last2 == [2]byte{']', ']'} || s.state == lsPI && s.last2[1] == '?') {
					s.state, s.textRun = lsText, 0
					i++
					break
				}
				s.last2 = [2]byte{s.last2[1], c}
			}
			b = b[i:]
		}
	}
	return nil
}

// text counts character data.
func (s *limitScanner) text(b []byte) error {
	n := len(b)
	if n == 0 {
		return nil
	}
	if s.inV && s.sharedC {
		for _, c := range b {
			if c < '0' || c > '9' || s.index < 0 || s.index > 1<<30 {
				s.index = -1
				break
			}
			s.index = s.index*10 + int(c-'0')
		}
	}
	s.textRun += n
	s.textBytes += int64(n)
	if s.inCell {
		s.cellBytes += n
		if s.kind == partSheet {
			s.rowBytes += n
		}
	}
	switch {
	case s.textRun > MaxCellBytes && !(s.blank && !s.inCell && s.textRun <= MaxBlankBytes) || s.cellBytes > MaxCellBytes:
		return s.tooLarge("CELL_TOO_LARGE", "a cell of more than %d KB (a cell holds at most 32,767 characters)", MaxCellBytes>>10)
	case s.rowBytes > MaxRowBytes:
		return s.tooLarge("ROW_TOO_LARGE", "a row of more than %d MB of text", MaxRowBytes>>20)
	case s.kind == partShared && s.textBytes > MaxSharedBytes:
		return s.tooLarge("TOO_MANY_SHARED_STRINGS", "more than %d MB of shared strings", MaxSharedBytes>>20)
	}
	return nil
}

// tag reads a tag up to its ">" and returns how many bytes of b it used.
func (s *limitScanner) tag(b []byte) (int, error) {
	for i, c := range b {
		s.tagLen++
		if s.tagLen > MaxTagBytes {
			return 0, errs.E(errs.TooLarge, "ROW_TOO_LARGE", "the workbook part %s holds an XML tag of more than %d KB, which spreadsheet programs never write", s.part, MaxTagBytes>>10)
		}
		if s.quote != 0 {
			if c == s.quote {
				s.quote, s.attrSep = 0, true
			} else if s.capT && len(s.tVal) < 8 {
				s.tVal = append(s.tVal, c)
			}
			continue
		}
		if !s.named {
			switch {
			case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || (c == '/' && len(s.name) > 0):
				s.named = true
			case len(s.name) < 16:
				s.name = append(s.name, c)
				switch string(s.name) {
				case "!--":
					s.state, s.last2 = lsComment, [2]byte{}
					return i + 1, nil
				case "![CDATA[":
					s.state, s.last2 = lsCDATA, [2]byte{}
					return i + 1, nil
				case "?":
					s.state, s.last2 = lsPI, [2]byte{}
					return i + 1, nil
				}
			}
		}
		switch c {
		case '"', '\'':
			if s.named {
				local := s.attr
				if i := bytes.LastIndexByte(local, ':'); i >= 0 {
					local = local[i+1:] // x:t is t to excelize
				}
				s.quote, s.capT = c, string(local) == "t"
			}
		case ' ', '\t', '\r', '\n', '=', '/':
			s.attrSep = true
		case '>':
			s.state, s.textRun = lsText, 0
			return i + 1, s.endTag()
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			s.last = c
			if s.named && c != '=' && c != '"' && c != '\'' && c != '/' {
				if s.attrSep {
					s.attr, s.attrSep = s.attr[:0], false
				}
				if len(s.attr) < 8 {
					s.attr = append(s.attr, c)
				}
			}
		}
	}
	return len(b), nil
}

// endTag counts the tag just read.
func (s *limitScanner) endTag() error {
	name := s.name
	closing := len(name) > 0 && name[0] == '/'
	if closing {
		name = name[1:]
	}
	if len(name) > 0 && (name[0] == '!' || name[0] == '?') {
		return nil // a declaration
	}
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:] // x:c is c
	}
	selfClosing := s.last == '/'
	local := string(name)
	if closing {
		switch {
		case s.kind == partSheet && local == "v" && s.inV:
			s.inV = false
			if s.sharedC && s.index >= 0 && s.index < len(s.shared) {
				if s.rowBytes += int(s.shared[s.index]); s.rowBytes > MaxRowBytes {
					return s.tooLarge("ROW_TOO_LARGE", "a row of more than %d MB of text once its shared strings are filled in", MaxRowBytes>>20)
				}
			}
		case s.kind == partSheet && local == "c":
			s.inCell = false
		case s.kind == partShared && local == "si":
			s.inCell = false
			s.lengths = append(s.lengths, uint32(s.cellBytes))
		}
		return nil
	}
	s.elements++
	switch s.kind {
	case partOther:
		if s.elements > MaxPartElements {
			return s.tooLarge("FILE_TOO_LARGE", "more than %d XML elements", MaxPartElements)
		}
	case partShared:
		if local == "si" {
			s.strings++
			if s.strings > MaxSharedStrings {
				return s.tooLarge("TOO_MANY_SHARED_STRINGS", "more than %d shared strings", MaxSharedStrings)
			}
			s.inCell, s.cellBytes = !selfClosing, 0
			if selfClosing {
				s.lengths = append(s.lengths, 0)
			}
		}
		if s.cost() > MaxFileCost {
			return s.tooLarge("TOO_MANY_SHARED_STRINGS", "shared strings that would take more than %d MB of memory", MaxFileCost>>20)
		}
	case partSheet:
		switch local {
		case "row":
			s.rows++
			s.rowBytes, s.rowCells = 0, 0
		case "c":
			s.rowCells++
			if s.rowCells > MaxColumns {
				return s.tooLarge("ROW_TOO_LARGE", "a row of more than %d cells", MaxColumns)
			}
			s.inCell, s.cellBytes = !selfClosing, 0
			s.sharedC, s.inV = string(s.tVal) == "s", false
		case "v":
			s.inV, s.index = s.inCell && !selfClosing, 0
		}
	}
	return nil
}

// cost is what excelize will hold of this part, beyond its bytes.
func (s *limitScanner) cost() int64 {
	switch s.kind {
	case partShared:
		return int64(s.strings)*SharedStringCost + (s.elements-int64(s.strings))*SharedElementCost + s.textBytes*SharedTextCost
	case partOther:
		return s.elements * PartElementCost
	}
	return 0
}

func (s *limitScanner) tooLarge(code, format string, args ...any) *errs.Error {
	where := "the workbook part " + s.part
	if s.kind == partSheet && s.rows > 0 {
		where += " (at its row " + strconv.Itoa(s.rows) + ")"
	}
	return errs.E(errs.TooLarge, code, "%s holds %s: at most %s are accepted, so the file is refused whole", where, fmt.Sprintf(format, args...), limitsHint(code))
}

// limitsHint names the limit a code stands for.
func limitsHint(code string) string {
	switch code {
	case "CELL_TOO_LARGE":
		return fmt.Sprintf("%d KB per cell", MaxCellBytes>>10)
	case "ROW_TOO_LARGE":
		return fmt.Sprintf("%d cells and %d MB per row", MaxColumns, MaxRowBytes>>20)
	case "TOO_MANY_SHARED_STRINGS":
		return fmt.Sprintf("%d shared strings and %d MB of their text", MaxSharedStrings, MaxSharedBytes>>20)
	}
	return fmt.Sprintf("%d elements per part", MaxPartElements)
}

// resolvedRowLimit bounds a row as excelize resolved it: a shared string
// costs a few bytes in the sheet however long it is, and a row citing a long
// one thousands of times would be copied whole by whatever joins or stores
// its cells.
func resolvedRowLimit(num int, cells []string) error {
	n := 0
	for _, c := range cells {
		if n += len(c); n > MaxRowBytes {
			return errs.E(errs.TooLarge, "ROW_TOO_LARGE", "row %d of the sheet holds more than %d MB of text once its shared strings are filled in: at most %d cells and %d MB per row are accepted, so the file is refused whole", num, MaxRowBytes>>20, MaxColumns, MaxRowBytes>>20)
		}
	}
	return nil
}

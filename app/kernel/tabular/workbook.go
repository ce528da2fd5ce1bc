package tabular

import (
	"archive/zip"
	"path"
	"strconv"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// A workbook is read in one pass over each of its XML parts (xmlpart.go):
// the zip directory is checked first against the limits, and the file's
// cost reserved from the read budget; then its relationships, workbook and
// styles (which number formats are dates) and its shared strings are read,
// every other XML part is scanned for faults, and the sheet is left ready
// to stream (sheet.go). Nothing but the shared strings is held whole.

// part kinds, for the limits that apply to them.
const (
	partOther  = iota // read whole into a few values (workbook, styles, …): elements bounded
	partShared        // the shared strings: their own limits
	partSheet         // a worksheet: streamed row by row
)

// sharedStringsPart is where the shared strings are, as excelize reads them.
const sharedStringsPart = "xl/sharedStrings.xml"

// openXLSX opens the workbook at path and its sheet named preferredSheet
// (any case, trimmed) if it has one, else its first. tokensOnly turns the
// fast paths of xmlplain.go off, for the tests that read files both ways.
func openXLSX(path string, lim Limits, preferredSheet string, tokensOnly bool) (*xlsxSheet, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, errUnreadable("UNREADABLE_FILE", "the file looks like an .xlsx workbook but cannot be opened (%v): save it again from your spreadsheet program", err)
	}
	s := &xlsxSheet{zr: zr, tokensOnly: tokensOnly}
	if err := s.open(lim, preferredSheet); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// open reads everything the sheet's rows need, up to its first row.
func (s *xlsxSheet) open(lim Limits, preferredSheet string) error {
	parts := map[string]*zip.File{}
	var unzipped, sharedSize int64
	for _, f := range s.zr.File {
		name := strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/")
		parts[name] = f
		size := int64(f.UncompressedSize64) // archive/zip refuses a part that inflates past it
		unzipped += size
		if unzipped > lim.MaxUnzippedBytes || size < 0 {
			return errs.E(errs.TooLarge, "FILE_TOO_LARGE", "the workbook decompresses to more than %d MB: it is too large, or not a genuine spreadsheet", lim.MaxUnzippedBytes>>20)
		}
		switch kind := partKind(name); {
		case kind == partShared:
			sharedSize = size
		case kind == partOther && size > MaxPartBytes:
			return errs.E(errs.TooLarge, "FILE_TOO_LARGE", "the workbook part %s decompresses to %d MB; a part that is neither a worksheet nor the shared strings may hold at most %d MB", f.Name, size>>20, MaxPartBytes>>20)
		}
	}
	s.release = readBudget.reserve(fileOverhead + RowCost + sharedStringsCost(sharedSize))
	read := map[string]bool{}
	readPart := func(name string, fn func(p *partReader) error) error {
		f := parts[name]
		if f == nil {
			return nil
		}
		read[name] = true
		rc, err := f.Open()
		if err != nil {
			return errUnreadable("UNREADABLE_FILE", "the workbook part %s cannot be read (%v): save the file again from your spreadsheet program", f.Name, err)
		}
		defer rc.Close()
		p := newPartReader(rc, f.Name, partKind(name))
		p.tokensOnly = s.tokensOnly
		if err := fn(p); err != nil {
			return err
		}
		return p.drain()
	}

	wb := "xl/workbook.xml"
	err := readPart("_rels/.rels", func(p *partReader) error {
		return readRels(p, func(_, typ, target string) {
			if strings.HasSuffix(typ, "/officeDocument") {
				wb = partPath("", target)
			}
		})
	})
	if err != nil {
		return err
	}
	var sheets []workbookSheet
	date1904 := false
	if err := readPart(wb, func(p *partReader) error { return readWorkbook(p, &sheets, &date1904) }); err != nil {
		return err
	}
	var sheet *workbookSheet
	for i := range sheets {
		if preferredSheet != "" && strings.EqualFold(strings.TrimSpace(sheets[i].name), preferredSheet) {
			sheet = &sheets[i]
			break
		}
	}
	if sheet == nil {
		if len(sheets) == 0 {
			return errUnreadable("UNREADABLE_FILE", "the workbook has no sheets")
		}
		sheet = &sheets[0]
	}
	dir := path.Dir(wb)
	stylesPart, sheetPart := path.Join(dir, "styles.xml"), ""
	err = readPart(path.Join(dir, "_rels", path.Base(wb)+".rels"), func(p *partReader) error {
		return readRels(p, func(id, typ, target string) {
			switch {
			case strings.HasSuffix(typ, "/styles"):
				stylesPart = partPath(dir, target)
			case id == sheet.rid && sheet.rid != "":
				sheetPart = partPath(dir, target)
			}
		})
	})
	if err != nil {
		return err
	}
	if parts[sheetPart] == nil {
		return errUnreadable("UNREADABLE_FILE", "the sheet %q cannot be found among the workbook's parts: save the file again from your spreadsheet program", sheet.name)
	}
	if err := readPart(stylesPart, func(p *partReader) error { s.dateXf = readDateXfs(p); return nil }); err != nil {
		return err
	}
	s.date1904 = date1904
	if err := readPart(sharedStringsPart, func(p *partReader) (err error) {
		s.sst, err = readSharedStrings(p, sharedSize)
		return err
	}); err != nil {
		return err
	}
	// Every other XML part: for its faults and limits only.
	for name := range parts {
		lower := strings.ToLower(name)
		if read[name] || name == sheetPart || !strings.HasSuffix(lower, ".xml") && !strings.HasSuffix(lower, ".rels") {
			continue
		}
		if err := readPart(name, func(*partReader) error { return nil }); err != nil {
			return err
		}
	}
	rc, err := parts[sheetPart].Open()
	if err != nil {
		return errUnreadable("UNREADABLE_FILE", "the sheet %q cannot be read: %v", sheet.name, err)
	}
	s.rc = rc
	s.p = newPartReader(rc, parts[sheetPart].Name, partSheet)
	s.p.tokensOnly = s.tokensOnly
	return s.toSheetData()
}

// partKind tells which limits apply to a part.
func partKind(name string) int {
	switch lower := strings.ToLower(name); {
	case lower == strings.ToLower(sharedStringsPart):
		return partShared
	case strings.HasPrefix(lower, "xl/worksheets/") || strings.HasSuffix(lower, ".xml") && strings.Contains(lower, "/worksheets/"):
		return partSheet
	}
	return partOther
}

// partPath resolves a relationship target against the folder of its source part.
func partPath(dir, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean(path.Join(dir, target)), "/")
}

// readRels reads a relationships part.
func readRels(p *partReader, fn func(id, typ, target string)) error {
	for {
		switch p.next() {
		case tokEOF:
			return p.err
		case tokStart:
			if string(p.local) != "Relationship" {
				continue
			}
			id, _, err := p.attr(p.attrs, "Id")
			if err != nil {
				return err
			}
			typ, _, _ := p.attr(p.attrs, "Type")
			target, _, _ := p.attr(p.attrs, "Target")
			fn(id, typ, target)
		}
	}
}

type workbookSheet struct{ name, rid string }

// readWorkbook reads the workbook's sheets, in order, and its date system.
func readWorkbook(p *partReader, sheets *[]workbookSheet, date1904 *bool) error {
	for {
		switch p.next() {
		case tokEOF:
			return p.err
		case tokStart:
			switch string(p.local) {
			case "workbookPr":
				v, ok, err := p.attr(p.attrs, "date1904")
				if err != nil {
					return err
				}
				if b, perr := strconv.ParseBool(strings.TrimSpace(v)); ok && perr == nil {
					*date1904 = b
				}
			case "sheet":
				name, _, err := p.attr(p.attrs, "name")
				if err != nil {
					return err
				}
				rid, _, _ := p.attr(p.attrs, "id") // r:id
				*sheets = append(*sheets, workbookSheet{name: name, rid: rid})
			}
		}
	}
}

// maxCellFormats bounds the cell formats read from styles.xml: Excel keeps
// at most 64,000.
const maxCellFormats = 64000

// readDateXfs reads styles.xml: for each cell format (cellXfs), whether its
// number format is a date format. A custom format (numFmts) takes
// precedence over the built-in one of the same id; the numFmts of
// conditional formats (dxfs) are not cell formats.
func readDateXfs(p *partReader) []bool {
	custom := map[int]bool{}
	var xfs []int // numFmtId of each cell format
	inCellXfs, inNumFmts := false, false
	for {
		switch p.next() {
		case tokEOF:
			out := make([]bool, len(xfs))
			for i, id := range xfs {
				if date, ok := custom[id]; ok {
					out[i] = date
				} else {
					out[i] = builtinDate(id)
				}
			}
			return out
		case tokStart:
			depth := len(p.marks)
			if p.empty {
				depth++
			}
			switch string(p.local) {
			case "numFmts":
				inNumFmts = depth == 2 && !p.empty
			case "numFmt":
				v, _, _ := p.attr(p.attrs, "numFmtId")
				id, err := strconv.Atoi(v)
				if inNumFmts && depth == 3 && err == nil && len(custom) < maxCellFormats {
					code, _, _ := p.attr(p.attrs, "formatCode")
					if c16, _, _ := p.attr(p.attrs, "formatCode16"); c16 != "" {
						code = c16
					}
					custom[id] = isDateFormat(code)
				}
			case "cellXfs":
				inCellXfs = depth == 2 && !p.empty
			case "xf":
				if inCellXfs && depth == 3 && len(xfs) < maxCellFormats {
					v, _, _ := p.attr(p.attrs, "numFmtId")
					id, _ := strconv.Atoi(v)
					xfs = append(xfs, id)
				}
			}
		case tokEnd:
			switch string(p.local) {
			case "cellXfs":
				inCellXfs = false
			case "numFmts":
				inNumFmts = false
			}
		}
	}
}

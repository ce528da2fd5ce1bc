package tabular

import (
	"errors"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// xlsxSheet streams a worksheet with excelize's row iterator, reading raw
// cell values: number formatting is not needed (and costs a third of the
// parse), and raw values keep GTIN digits intact. Date cells are told by
// their number format (cellformats.go).
type xlsxSheet struct {
	file     *excelize.File
	rows     *excelize.Rows
	num      int
	cells    []string
	err      error
	estimate int
	check    *partChecker // the workbook's XML, scanned for what excelize would swallow
	formats  *cellFormats // which number cells are dates; nil if none can be
	release  func()       // gives back what the file reserved of the read budget
}

func openWorkbook(path string, lim Limits, preferredSheet string) (*xlsxSheet, error) {
	f, err := excelize.OpenFile(path, excelize.Options{
		UnzipSizeLimit:    lim.MaxUnzippedBytes,
		UnzipXMLSizeLimit: min(xmlInMemory, lim.MaxUnzippedBytes), // larger worksheets stream through a temp file
	})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, errs.E(errs.TooLarge, "FILE_TOO_LARGE", "the workbook decompresses to more than %d MB: it is too large, or not a genuine spreadsheet", lim.MaxUnzippedBytes>>20)
		}
		return nil, errUnreadable("UNREADABLE_FILE", "the file looks like an .xlsx workbook but cannot be opened (%v): save it again from your spreadsheet program", err)
	}
	name := ""
	for _, s := range f.GetSheetList() {
		if preferredSheet != "" && strings.EqualFold(strings.TrimSpace(s), preferredSheet) {
			name = s
			break
		}
	}
	if name == "" {
		list := f.GetSheetList()
		if len(list) == 0 {
			f.Close()
			return nil, errUnreadable("UNREADABLE_FILE", "the workbook has no sheets")
		}
		name = list[0]
	}
	rows, err := f.Rows(name)
	if err != nil {
		f.Close()
		return nil, errUnreadable("UNREADABLE_FILE", "the sheet %q cannot be read: %v", name, err)
	}
	s := &xlsxSheet{file: f, rows: rows, check: checkParts(path, name)}
	if dim, err := f.GetSheetDimension(name); err == nil {
		if _, last, ok := strings.Cut(dim, ":"); ok {
			if _, r, err := excelize.CellNameToCoordinates(last); err == nil {
				s.estimate = r
			}
		}
	}
	date1904 := false
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	s.formats = readCellFormats(path, name, date1904)
	return s, nil
}

func (s *xlsxSheet) Next() bool {
	if s.err != nil || !s.rows.Next() {
		if err := s.rows.Error(); err != nil && s.err == nil {
			s.err = s.translate(err)
		}
		// The sheet ended: for real only if its XML had nothing excelize
		// would have stopped at without a word.
		if s.err == nil {
			s.err = s.check.wait()
		}
		return false
	}
	s.num++
	s.cells, s.err = s.rows.Columns(excelize.Options{RawCellValue: true})
	if s.err != nil {
		s.err = s.translate(s.err)
		return false
	}
	s.formats.apply(s.num, s.cells)
	if s.err = resolvedRowLimit(s.num, s.cells); s.err != nil {
		return false
	}
	return true
}

func (s *xlsxSheet) translate(err error) error {
	if errors.Is(err, excelize.ErrMaxRows) {
		return errUnreadable("TOO_MANY_ROWS", "the sheet has more rows than a spreadsheet can hold")
	}
	return errUnreadable("UNREADABLE_FILE", "row %s of the sheet cannot be read: %v", strconv.Itoa(s.num), err)
}

func (s *xlsxSheet) Row() (int, []string) { return s.num, s.cells }
func (s *xlsxSheet) Err() error           { return s.err }
func (s *xlsxSheet) Estimate() int        { return s.estimate }

// Held is the number of the sheet's last row, as its XML scan counted it.
func (s *xlsxSheet) Held() int { return s.check.rows.lastRow }

func (s *xlsxSheet) Close() error {
	s.check.close()
	s.formats.close()
	if s.release != nil {
		defer s.release()
	}
	rerr := s.rows.Close()
	ferr := s.file.Close()
	if ferr != nil {
		return ferr
	}
	if rerr != nil && s.err == nil {
		return rerr
	}
	return nil
}

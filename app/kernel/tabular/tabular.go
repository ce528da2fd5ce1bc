// Package tabular reads spreadsheet files (XLSX and CSV) row by row, never
// holding a whole sheet in memory. The format is sniffed from the content,
// not trusted from the file name. It also writes the workbooks Cascade
// hands out (write.go), never a formula. It is the only package of the
// project that imports excelize.
package tabular

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Reader yields the rows of a file one at a time. A workbook's date cells
// (number cells in a date format) come as ISO dates; every other cell as
// written, numbers raw.
type Reader interface {
	// Next advances to the next row; false at the end or on error.
	Next() bool
	// Row is the current row: its number as a spreadsheet shows it, and its cells.
	Row() (int, []string)
	Err() error
	Close() error
	// Estimate is the number of rows the file is expected to hold, 0 if unknown.
	Estimate() int
	// Held is the number of rows the file holds, counted apart from the
	// rows Next yields (an XLSX's XML scan, the CSV line reader), so that
	// a reader who loses rows is caught. Valid once Next has returned false
	// and Err is nil.
	Held() int
}

// Limits bound what reading one file may cost.
type Limits struct {
	MaxFileBytes     int64 // the file itself
	MaxUnzippedBytes int64 // an XLSX's parts once decompressed (zip bombs)
}

// File formats.
const (
	XLSX = "xlsx"
	CSV  = "csv"
)

// errUnreadable wraps why a file could not be read at all.
func errUnreadable(code, format string, args ...any) *errs.Error {
	return errs.Invalidf(code, format, args...)
}

// Open sniffs the file's content and opens the matching reader. For a
// workbook it reads the sheet named preferredSheet (any case) if there is
// one, else the first sheet. It returns the format, XLSX or CSV.
func Open(path string, lim Limits, preferredSheet string) (Reader, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("open upload: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", err
	}
	if st.Size() > lim.MaxFileBytes {
		f.Close()
		return nil, "", errs.E(errs.TooLarge, "FILE_TOO_LARGE", "the file is %d MB; at most %d MB are accepted", st.Size()>>20, lim.MaxFileBytes>>20)
	}
	if st.Size() == 0 {
		f.Close()
		return nil, "", errUnreadable("EMPTY_FILE", "the file is empty")
	}
	head := make([]byte, 8192)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	f.Close()
	format, err := sniff(head)
	if err != nil {
		return nil, "", err
	}
	if format == XLSX {
		s, err := openXLSX(path, lim, preferredSheet, false)
		return s, format, err
	}
	s, err := openCSV(path, st.Size())
	return s, format, err
}

// sniff tells an XLSX (a zip) from CSV text, and names what else it sees.
func sniff(head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return XLSX, nil
	case bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")):
		return "", errUnreadable("UNSUPPORTED_FILE", "this is an old Excel .xls (or other Office 97) file: save it as .xlsx or CSV UTF-8 and upload again")
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "", errUnreadable("UNSUPPORTED_FILE", "this is a PDF, not a spreadsheet: upload the .xlsx or CSV file")
	case bytes.IndexByte(head, 0) >= 0:
		return "", errUnreadable("UNSUPPORTED_FILE", "this is not a spreadsheet: upload an .xlsx file or a CSV text file")
	}
	text := bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	// The sniffed block may end inside a multi-byte character: ignore a cut-off tail.
	for i := 0; i < utf8.UTFMax && len(text) > 0 && !utf8.Valid(text); i++ {
		text = text[:len(text)-1]
	}
	if !utf8.Valid(text) {
		return "", errUnreadable("NOT_UTF8", "the file is text but not UTF-8 (probably Windows-1252): save it as \"CSV UTF-8\" and upload again")
	}
	return CSV, nil
}

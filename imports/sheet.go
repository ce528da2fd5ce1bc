package imports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/cascade-gate/cascade/app/errs"
)

// sheet yields the rows of a supplier file one at a time, never the whole file.
type sheet interface {
	// Next advances to the next row; false at the end or on error.
	Next() bool
	// Row is the current row: its number as a spreadsheet shows it, and its cells.
	Row() (int, []string)
	Err() error
	Close() error
	// Estimate is the number of rows the file is expected to hold, 0 if unknown.
	Estimate() int
	dateInput() dateInput
}

// File formats Cascade reads.
const (
	FormatXLSX = "xlsx"
	FormatCSV  = "csv"
)

// errUnreadable wraps why a file could not be read at all.
func errUnreadable(code, format string, args ...any) *errs.Error {
	return errs.Invalidf(code, format, args...)
}

// openSheet sniffs the file's content (the name's extension is not trusted)
// and opens the matching reader.
func openSheet(path string, lim Limits) (sheet, string, error) {
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
	if format == FormatXLSX {
		s, err := openXLSX(path, lim)
		return s, format, err
	}
	s, err := openCSV(path, st.Size())
	return s, format, err
}

// sniff tells an XLSX (a zip) from CSV text, and names what else it sees.
func sniff(head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return FormatXLSX, nil
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
	return FormatCSV, nil
}

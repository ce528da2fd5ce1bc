package tabular

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"unicode/utf8"
)

// csvSheet streams a CSV file: UTF-8 with or without BOM, comma- or
// semicolon-separated (detected from the first lines).
type csvSheet struct {
	file    *os.File
	counter *countingReader
	r       *recordReader
	size    int64
	num     int
	records int // records read
	cells   []string
	err     error
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func openCSV(path string, size int64) (*csvSheet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	counter := &countingReader{r: f}
	br := bufio.NewReaderSize(counter, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	head, _ := br.Peek(64 << 10)
	// Rows may be ragged (missing cells are empty); a stray quote in 12" screen
	// is data, not a syntax error (encoding/csv's LazyQuotes); cells and rows
	// are bounded as they stream (csvrecords.go); CR and CRLF line ends become
	// LF first (lineends.go).
	r := newRecordReader(bufio.NewReader(&lineEnds{r: br}), byte(detectDelimiter(head)))
	return &csvSheet{file: f, counter: counter, r: r, size: size}, nil
}

// detectDelimiter picks ; or , by which occurs more outside quotes in the first lines.
func detectDelimiter(head []byte) rune {
	commas, semis, lines := 0, 0, 0
	inQuotes := false
	for _, b := range head {
		switch {
		case b == '"':
			inQuotes = !inQuotes
		case inQuotes:
		case b == ',':
			commas++
		case b == ';':
			semis++
		case b == '\n':
			lines++
		}
		if lines >= 25 {
			break
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

func (s *csvSheet) Next() bool {
	if s.err != nil {
		return false
	}
	rec, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			s.err = errUnreadable("UNREADABLE_FILE", "line %d of the CSV cannot be read: %v", pe.Line, pe.Err)
		} else {
			s.err = err
		}
		return false
	}
	line, _ := s.r.FieldPos(0)
	for _, c := range rec {
		if !utf8.ValidString(c) {
			s.err = errUnreadable("NOT_UTF8", "line %d is not UTF-8 text (probably Windows-1252): save the file as \"CSV UTF-8\" and upload again", line)
			return false
		}
	}
	s.num, s.cells = line, rec
	s.records++
	return true
}

func (s *csvSheet) Row() (int, []string) { return s.num, s.cells }
func (s *csvSheet) Err() error           { return s.err }
func (s *csvSheet) Close() error         { return s.file.Close() }
func (s *csvSheet) Held() int            { return s.records }

// Estimate extrapolates the row count from the bytes read so far.
func (s *csvSheet) Estimate() int {
	if s.counter.n == 0 || s.num == 0 {
		return 0
	}
	return int(int64(s.num) * s.size / s.counter.n)
}

package imports

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// spool holds the valid rows of a running import in a local temporary file
// between the parse and the commit. The rows reach the database once,
// straight into products inside the commit's transaction, instead of being
// written to a staging table and copied; memory stays flat in the row count.
//
// A record is a row number, a fixed number of values (the product as it
// will be stored), then the number of cells and the cells as written (kept
// for the rare row the commit still rejects); numbers are uvarints, strings
// a uvarint length and their bytes.
type spool struct {
	f      *os.File
	w      *bufio.Writer
	fields int
	buf    []byte
	rows   int
}

// spoolPattern names spool files after the process that writes them, so
// that the spools of a process that died can be told apart and removed.
const spoolPattern = "cascade-import-%d-*.spool"

func newSpool(fields int) (*spool, error) {
	f, err := os.CreateTemp("", fmt.Sprintf(spoolPattern, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("create import spool: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 64<<10), fields: fields}, nil
}

// add appends one row; values must hold exactly the spool's field count.
func (s *spool) add(row int, values, cells []string) error {
	if len(values) != s.fields {
		return fmt.Errorf("import spool: %d values for %d fields", len(values), s.fields)
	}
	s.buf = binary.AppendUvarint(s.buf[:0], uint64(row))
	for _, v := range values {
		s.buf = binary.AppendUvarint(s.buf, uint64(len(v)))
		s.buf = append(s.buf, v...)
	}
	s.buf = binary.AppendUvarint(s.buf, uint64(len(cells)))
	for _, c := range cells {
		s.buf = binary.AppendUvarint(s.buf, uint64(len(c)))
		s.buf = append(s.buf, c...)
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("write import spool: %w", err)
	}
	s.rows++
	return nil
}

// each replays the rows in the order they were added. The slices are
// reused between calls (the strings in them are not): fn must copy a slice
// it keeps beyond the call.
func (s *spool) each(fn func(row int, values, cells []string) error) error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write import spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read import spool: %w", err)
	}
	r := &spoolReader{r: bufio.NewReaderSize(s.f, 64<<10)}
	values := make([]string, s.fields)
	var cells []string
	for n := 0; n < s.rows; n++ {
		row := r.uvarint()
		for i := range values {
			values[i] = r.string()
		}
		cells = cells[:0]
		for c := r.uvarint(); c > 0 && r.err == nil; c-- {
			cells = append(cells, r.string())
		}
		if r.err != nil {
			return fmt.Errorf("read import spool: %w", r.err)
		}
		if err := fn(int(row), values, cells); err != nil {
			return err
		}
	}
	return nil
}

// spoolReader decodes records, keeping the first error.
type spoolReader struct {
	r   *bufio.Reader
	b   []byte
	err error
}

func (r *spoolReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	n, err := binary.ReadUvarint(r.r)
	r.err = err
	return n
}

func (r *spoolReader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if uint64(cap(r.b)) < n {
		r.b = make([]byte, n)
	}
	r.b = r.b[:n]
	_, r.err = io.ReadFull(r.r, r.b)
	return string(r.b)
}

// close removes the spool file.
func (s *spool) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// removeDeadSpools removes the spool files left in the temporary folder by
// processes that are gone (killed mid-import). It returns how many it removed.
func removeDeadSpools() int {
	paths, _ := filepath.Glob(filepath.Join(os.TempDir(), "cascade-import-*-*.spool"))
	removed := 0
	for _, p := range paths {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(p), "cascade-import-%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		if pid != os.Getpid() && !processAlive(pid) && os.Remove(p) == nil {
			removed++
		}
	}
	return removed
}

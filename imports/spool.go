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
// A record is a row number and a fixed number of strings, each written as a
// uvarint length and its bytes.
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
	return &spool{f: f, w: bufio.NewWriterSize(f, 256<<10), fields: fields}, nil
}

// add appends one row; values must hold exactly the spool's field count.
func (s *spool) add(row int, values ...string) error {
	if len(values) != s.fields {
		return fmt.Errorf("import spool: %d values for %d fields", len(values), s.fields)
	}
	s.buf = binary.AppendUvarint(s.buf[:0], uint64(row))
	for _, v := range values {
		s.buf = binary.AppendUvarint(s.buf, uint64(len(v)))
		s.buf = append(s.buf, v...)
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("write import spool: %w", err)
	}
	s.rows++
	return nil
}

// each replays the rows in the order they were added. values is reused
// between calls: fn must copy what it keeps beyond the call (strings are
// fresh each time; the slice is not).
func (s *spool) each(fn func(row int, values []string) error) error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write import spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read import spool: %w", err)
	}
	r := bufio.NewReaderSize(s.f, 256<<10)
	values := make([]string, s.fields)
	var b []byte
	for n := 0; n < s.rows; n++ {
		row, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("read import spool: %w", err)
		}
		for i := range values {
			l, err := binary.ReadUvarint(r)
			if err != nil {
				return fmt.Errorf("read import spool: %w", err)
			}
			if uint64(cap(b)) < l {
				b = make([]byte, l)
			}
			b = b[:l]
			if _, err := io.ReadFull(r, b); err != nil {
				return fmt.Errorf("read import spool: %w", err)
			}
			values[i] = string(b)
		}
		if err := fn(int(row), values); err != nil {
			return err
		}
	}
	return nil
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

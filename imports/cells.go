package imports

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// cellSpool keeps every staged row's cells as written, for the few rows the
// commit's checks reject: the fix workbook shows those as the supplier wrote
// them. The parse appends to a buffered local file, which costs it less
// than a value bound into the staging for every row would cost the writer.
// The file is unlinked as soon as it is created, so it disappears with the
// process, however that ends.
//
// A record is the row number, the number of cells, then each cell's length
// and bytes, all numbers as uvarints.
type cellSpool struct {
	f   *os.File
	w   *bufio.Writer
	buf []byte
}

func newCellSpool() (*cellSpool, error) {
	f, err := os.CreateTemp("", "cascade-import-*.cells")
	if err != nil {
		return nil, fmt.Errorf("create import spool: %w", err)
	}
	_ = os.Remove(f.Name()) // open, it stays readable; closed or killed, it is gone
	return &cellSpool{f: f, w: bufio.NewWriterSize(f, 16<<10)}, nil
}

// add appends the cells of a row; rows must come in increasing order.
func (s *cellSpool) add(row int, cells []string) error {
	s.buf = binary.AppendUvarint(s.buf[:0], uint64(row))
	s.buf = binary.AppendUvarint(s.buf, uint64(len(cells)))
	for _, c := range cells {
		s.buf = binary.AppendUvarint(s.buf, uint64(len(c)))
		s.buf = append(s.buf, c...)
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("write import spool: %w", err)
	}
	return nil
}

// rows returns the cells of the given rows, read in one pass.
func (s *cellSpool) rows(want []int) (map[int][]string, error) {
	out := make(map[int][]string, len(want))
	if len(want) == 0 {
		return out, nil
	}
	want = slices.Sorted(slices.Values(want))
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("write import spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read import spool: %w", err)
	}
	defer s.f.Seek(0, io.SeekEnd) // later rows are appended
	r := bufio.NewReaderSize(s.f, 64<<10)
	for len(want) > 0 {
		row, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("read import spool: row %d not found: %w", want[0], err)
		}
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("read import spool: %w", err)
		}
		keep := int(row) == want[0]
		var cells []string
		for range n {
			size, err := binary.ReadUvarint(r)
			if err != nil {
				return nil, fmt.Errorf("read import spool: %w", err)
			}
			if !keep {
				if _, err := r.Discard(int(size)); err != nil {
					return nil, fmt.Errorf("read import spool: %w", err)
				}
				continue
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("read import spool: %w", err)
			}
			cells = append(cells, string(b))
		}
		if keep {
			out[int(row)] = cells
			for len(want) > 0 && want[0] == int(row) {
				want = want[1:]
			}
		}
	}
	return out, nil
}

func (s *cellSpool) close() { s.f.Close() }

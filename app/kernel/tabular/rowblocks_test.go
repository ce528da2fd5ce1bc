package tabular

import (
	"fmt"
	"strings"
	"testing"
)

// TestRowBlocksKeepEveryRowHandedOut hands out rows of many shapes from
// rowBlocks, across many blocks, and checks that every row still holds its
// own text and cells once thousands more are handed out, and that
// appending to a row's cells leaves the next row's alone.
func TestRowBlocksKeepEveryRowHandedOut(t *testing.T) {
	tests := []struct {
		name  string
		cells int // per row
		text  int // bytes per cell
	}{
		{"short rows", 15, 10},
		{"one cell", 1, 1},
		{"empty cells", 5, 0},
		{"rows longer than a quarter block", 3, textBlock / 8},
		{"more cells than a quarter block", cellBlock/4 + 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r rowBlocks
			rows := min(max(3*textBlock/max(1, tt.cells*tt.text), 3*cellBlock/tt.cells), 5000) // several blocks
			want := func(row, col int) string {
				s := fmt.Sprintf("%d.%d.", row, col)
				return strings.Repeat(s, tt.text/len(s)+1)[:tt.text]
			}
			var got [][]string
			for row := range rows {
				var b []byte
				ends := make([]int, tt.cells)
				for col := range tt.cells {
					b = append(b, want(row, col)...)
					ends[col] = len(b)
				}
				text, cells := r.string(b), r.row(tt.cells)
				clear(b) // the reader reuses its buffer
				start := 0
				for col, end := range ends {
					cells[col], start = text[start:end], end
				}
				got = append(got, cells)
			}
			_ = append(got[0], "appended") // must not reach row 1
			for row, cells := range got {
				if len(cells) != tt.cells || cap(cells) != tt.cells {
					t.Fatalf("row %d: %d cells (capacity %d), want %d", row, len(cells), cap(cells), tt.cells)
				}
				for col, c := range cells {
					if c != want(row, col) {
						t.Fatalf("row %d, cell %d = %q, want %q", row, col, c, want(row, col))
					}
				}
			}
		})
	}
}

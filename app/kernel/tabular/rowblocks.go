package tabular

import "strings"

// rowBlocks hands out the rows' text and cell slices from blocks shared by
// many rows, so that a row costs no allocation of its own: two a row (its
// text, its []string) were a tenth of the sheet reader's time, with the
// collections they brought. A row handed out stays valid and its own: a
// block is only ever appended to (strings.Builder keeps the strings it has
// given out intact), a cell slice is capped at its row. A row that keeps
// any of its cells keeps its block alive, at most textBlock and cellBlock
// of memory beside what the row itself holds.
type rowBlocks struct {
	text  strings.Builder
	cells []string
}

const (
	textBlock = 32 << 10 // bytes of text: about 200 rows of the benchmark sheet
	// cells: 16 KB of string headers, about 68 rows of 15, with the 8 bytes
	// of the allocation's header in a small size class (16 KB): 32 KB and
	// more are allocated as large objects, each a span of its own.
	cellBlock = 16<<10/16 - 1
)

// string returns b as a string, from the current text block.
func (r *rowBlocks) string(b []byte) string {
	if len(b) > textBlock/4 {
		return string(b) // a long row on its own: a block would mostly go to waste
	}
	if r.text.Cap()-r.text.Len() < len(b) {
		r.text = strings.Builder{}
		r.text.Grow(textBlock)
	}
	start := r.text.Len()
	r.text.Write(b)
	return r.text.String()[start:]
}

// row returns n empty cells, from the current cell block.
func (r *rowBlocks) row(n int) []string {
	if n > cellBlock/4 {
		return make([]string, n)
	}
	if len(r.cells) < n {
		r.cells = make([]string, cellBlock)
	}
	cells := r.cells[:n:n]
	r.cells = r.cells[n:]
	return cells
}

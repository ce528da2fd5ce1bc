package imports

import (
	"strings"
	"unicode/utf8"
)

// shownNUL stands for a NUL byte in what is kept of a row: PostgreSQL
// refuses NUL in text, and a supplier must see where it was.
const shownNUL = "␀"

// visibleNUL returns the cells with every NUL byte shown as ␀, and the
// indexes of the cells that held one (nil when none did). The cells are
// copied only when one holds a NUL.
func visibleNUL(cells []string) ([]string, []int) {
	var at []int
	for i, c := range cells {
		if strings.IndexByte(c, 0) >= 0 {
			at = append(at, i)
		}
	}
	if at == nil {
		return cells, nil
	}
	out := make([]string, len(cells))
	copy(out, cells)
	for _, i := range at {
		out[i] = strings.ReplaceAll(out[i], "\x00", shownNUL)
	}
	return out, at
}

// invalidCharacters are the INVALID_CHARACTER errors of a row whose cells
// at held a NUL (cells already show it as ␀).
func (v *validator) invalidCharacters(rowNum int, cells []string, at []int) []RowError {
	sku := clip(strings.TrimSpace(v.layout.cell(cells, colSKU)))
	out := make([]RowError, 0, len(at))
	for _, i := range at {
		column := columnLetter(i)
		if i < len(v.layout.Headers) && v.layout.Headers[i] != "" {
			column = v.layout.Headers[i]
		}
		e := rowErr(CodeInvalidCharacter, "%s holds a NUL character (shown as %s) at character %d", column, shownNUL,
			utf8.RuneCountInString(cells[i][:strings.Index(cells[i], shownNUL)])+1)
		e.Row, e.SKU, e.Column, e.Value = rowNum, sku, column, clip(cells[i])
		out = append(out, *e)
	}
	return out
}

// columnLetter names the 0-based column i as a spreadsheet does: A, B, … AA.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// cutUTF8 shortens s to at most max bytes, never inside a character.
func cutUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}

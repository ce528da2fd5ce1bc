package tabular

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// Workbook is an XLSX workbook being written: the fix workbooks, the
// supplier template, the listing feed and the evidence packs. It has no way
// to write a formula: text is always written as a string cell, so a
// supplier's "=HYPERLINK(…)" stays text in every cell Cascade writes.
//
// Rows and columns are numbered from 1, as a spreadsheet shows them.
type Workbook struct {
	f       *excelize.File
	sheets  int
	styles  map[Style]int
	streams []*excelize.StreamWriter
	lists   *Sheet // the hidden sheet holding drop-down values; nil until the first DropDown
	listCol int    // its last column used
}

// NewWorkbook starts an empty workbook. Close it when done.
func NewWorkbook() *Workbook {
	return &Workbook{f: excelize.NewFile(), styles: map[Style]int{}}
}

// Close releases the workbook.
func (b *Workbook) Close() error { return b.f.Close() }

// WriteTo writes the workbook as an .xlsx file, once every sheet is
// written. It opens on its first sheet.
func (b *Workbook) WriteTo(w io.Writer) (int64, error) {
	for _, sw := range b.streams {
		if err := sw.Flush(); err != nil {
			return 0, err
		}
	}
	b.streams = nil
	b.f.SetActiveSheet(0)
	return b.f.WriteTo(w)
}

// newSheet adds a sheet at the end; the first one takes the place of the
// default sheet a new workbook has.
func (b *Workbook) newSheet(name string) error {
	b.sheets++
	if b.sheets == 1 {
		return b.f.SetSheetName("Sheet1", name)
	}
	_, err := b.f.NewSheet(name)
	return err
}

// AddSheet adds a sheet written cell by cell, in any order.
func (b *Workbook) AddSheet(name string) (*Sheet, error) {
	if err := b.newSheet(name); err != nil {
		return nil, err
	}
	return &Sheet{b: b, name: name}, nil
}

// AddStreamSheet adds a sheet written a row at a time, top to bottom,
// holding none of its rows in memory: for sheets as long as a listing feed.
// Its rows are flushed by WriteTo.
func (b *Workbook) AddStreamSheet(name string) (*StreamSheet, error) {
	if err := b.newSheet(name); err != nil {
		return nil, err
	}
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	b.streams = append(b.streams, sw)
	return &StreamSheet{sw: sw}, nil
}

// StreamSheet is a sheet written a row at a time.
type StreamSheet struct {
	sw  *excelize.StreamWriter
	row int
}

// WriteRow writes the next row, every cell as a string.
func (s *StreamSheet) WriteRow(cells []string) error {
	vals := make([]any, len(cells))
	for i, c := range cells {
		vals[i] = excelize.Cell{Value: c} // a string cell, never a formula
	}
	s.row++
	first, err := cell(s.row, 1)
	if err != nil {
		return err
	}
	return s.sw.SetRow(first, vals)
}

// Style is what a cell, row or column looks like.
type Style int

// The styles Cascade's workbooks use.
const (
	// Bold is a plain header row.
	Bold Style = iota + 1
	// Header is a header row on a light blue fill.
	Header
	// Highlighted marks a cell that needs fixing: dark red on pink.
	Highlighted
	// Wrapped wraps long text, aligned to the top of the cell.
	Wrapped
	// TextFormat is Excel's "@" number format: digits typed into the cell stay
	// text, leading zeros kept (GTINs).
	TextFormat
	// DateFormat shows a date as yyyy-mm-dd.
	DateFormat
)

var isoDate = "yyyy-mm-dd"

var styles = map[Style]excelize.Style{
	Bold:        {Font: &excelize.Font{Bold: true}},
	Header:      {Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}},
	Highlighted: {Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, Font: &excelize.Font{Color: "9C0006"}},
	Wrapped:     {Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}},
	TextFormat:  {NumFmt: 49},
	DateFormat:  {CustomNumFmt: &isoDate},
}

// style is the workbook's id of s, added on first use.
func (b *Workbook) style(s Style) (int, error) {
	if id, ok := b.styles[s]; ok {
		return id, nil
	}
	spec, ok := styles[s]
	if !ok {
		return 0, fmt.Errorf("tabular: unknown style %d", s)
	}
	id, err := b.f.NewStyle(&spec)
	if err != nil {
		return 0, err
	}
	b.styles[s] = id
	return id, nil
}

// Sheet is a sheet written cell by cell.
type Sheet struct {
	b         *Workbook
	name      string
	commented map[string]bool
}

// cell names the cell at row, col ("B3").
func cell(row, col int) (string, error) { return excelize.CoordinatesToCellName(col, row) }

// column names column col ("B").
func column(col int) (string, error) { return excelize.ColumnNumberToName(col) }

// SetText writes v as a string cell whatever it looks like.
func (s *Sheet) SetText(row, col int, v string) error {
	c, err := cell(row, col)
	if err != nil {
		return err
	}
	return s.b.f.SetCellStr(s.name, c, v)
}

// SetRow writes values into row from column 1. A string is written as a
// string cell; integers, floats and booleans as numbers and booleans; a
// time.Time as a date; nil as an empty cell. Any other type is an error:
// nothing is ever written as a formula.
func (s *Sheet) SetRow(row int, values []any) error {
	for i, v := range values {
		if err := s.set(row, i+1, v); err != nil {
			return err
		}
	}
	return nil
}

// SetRows writes rows from row 1 down, as SetRow does.
func (s *Sheet) SetRows(rows [][]any) error {
	for r, values := range rows {
		if err := s.SetRow(r+1, values); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sheet) set(row, col int, v any) error {
	c, err := cell(row, col)
	if err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		return s.b.f.SetCellStr(s.name, c, v)
	case nil, bool, int, int64, float64, time.Time:
		return s.b.f.SetCellValue(s.name, c, v)
	}
	return fmt.Errorf("tabular: cannot write a %T into cell %s of %s", v, c, s.name)
}

// StyleRow gives every cell of row the style st.
func (s *Sheet) StyleRow(row int, st Style) error {
	id, err := s.b.style(st)
	if err != nil {
		return err
	}
	return s.b.f.SetRowStyle(s.name, row, row, id)
}

// StyleCells gives the cells of row from column first to last the style st.
func (s *Sheet) StyleCells(row, first, last int, st Style) error {
	id, err := s.b.style(st)
	if err != nil {
		return err
	}
	from, err := cell(row, first)
	if err != nil {
		return err
	}
	to, err := cell(row, last)
	if err != nil {
		return err
	}
	return s.b.f.SetCellStyle(s.name, from, to, id)
}

// StyleColumn gives column col the style st: cells typed into it later
// take its format.
func (s *Sheet) StyleColumn(col int, st Style) error {
	id, err := s.b.style(st)
	if err != nil {
		return err
	}
	name, err := column(col)
	if err != nil {
		return err
	}
	return s.b.f.SetColStyle(s.name, name, id)
}

// ColumnWidth sets the width of columns first to last, in characters.
func (s *Sheet) ColumnWidth(first, last int, width float64) error {
	from, err := column(first)
	if err != nil {
		return err
	}
	to, err := column(last)
	if err != nil {
		return err
	}
	return s.b.f.SetColWidth(s.name, from, to, width)
}

// Highlight marks the cell at row, col as one to fix and attaches comment
// to it, signed by Cascade. A cell highlighted again keeps its first comment.
func (s *Sheet) Highlight(row, col int, comment string) error {
	if err := s.StyleCells(row, col, col, Highlighted); err != nil {
		return err
	}
	c, err := cell(row, col)
	if err != nil {
		return err
	}
	if s.commented[c] {
		return nil
	}
	if s.commented == nil {
		s.commented = map[string]bool{}
	}
	s.commented[c] = true
	return s.b.f.AddComment(s.name, excelize.Comment{Cell: c, Author: "Cascade", Paragraph: []excelize.RichTextRun{{Text: comment}}})
}

// FreezeHeader keeps row 1 in view while the rows below scroll.
func (s *Sheet) FreezeHeader() error {
	return s.b.f.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// listsSheet holds the values of the drop-downs: Excel limits a list
// written inline to 255 characters.
const listsSheet = "Lists"

// DropDown lets the cells of column col from row first to row last take
// only one of values, picked from a drop-down; anything else typed in is
// refused with errTitle and errMessage. The values are kept on a hidden
// sheet the workbook adds at its first drop-down.
func (s *Sheet) DropDown(col, first, last int, values []string, errTitle, errMessage string) error {
	b := s.b
	if b.lists == nil {
		lists, err := b.AddSheet(listsSheet)
		if err != nil {
			return err
		}
		if err := b.f.SetSheetVisible(listsSheet, false); err != nil {
			return err
		}
		b.lists = lists
	}
	b.listCol++
	for r, v := range values {
		if err := b.lists.SetText(r+1, b.listCol, v); err != nil {
			return err
		}
	}
	target, err := column(col)
	if err != nil {
		return err
	}
	source, err := column(b.listCol)
	if err != nil {
		return err
	}
	dv := excelize.NewDataValidation(true)
	dv.Sqref = fmt.Sprintf("%s%d:%s%d", target, first, target, last)
	dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$1:$%s$%d", listsSheet, source, source, len(values)))
	dv.SetError(excelize.DataValidationErrorStyleStop, errTitle, errMessage)
	return b.f.AddDataValidation(s.name, dv)
}

package tabular_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/kernel/tabular"
)

// Excel runs a cell as a formula when it starts with one of these (and
// DDE payloads hide behind them); a workbook Cascade writes holds them as text.
var injections = []string{`=HYPERLINK("http://evil.example","x")`, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "=1+1"}

// written writes a workbook and opens what came out with excelize, a reader
// independent of the writer.
func written(t *testing.T, fill func(*tabular.Workbook) error) *excelize.File {
	t.Helper()
	wb := tabular.NewWorkbook()
	defer wb.Close()
	if err := fill(wb); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := wb.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestEveryWayOfWritingTextWritesAStringCellNeverAFormula(t *testing.T) {
	// Each way opens sheet "S" and returns how it writes v in row.
	for _, tc := range []struct {
		name string
		open func(wb *tabular.Workbook) (func(row int, v string) error, error)
	}{
		{"SetText", func(wb *tabular.Workbook) (func(int, string) error, error) {
			s, err := wb.AddSheet("S")
			return func(row int, v string) error { return s.SetText(row, 1, v) }, err
		}},
		{"SetRow", func(wb *tabular.Workbook) (func(int, string) error, error) {
			s, err := wb.AddSheet("S")
			return func(row int, v string) error { return s.SetRow(row, []any{v}) }, err
		}},
		{"StreamSheet.WriteRow", func(wb *tabular.Workbook) (func(int, string) error, error) {
			s, err := wb.AddStreamSheet("S")
			return func(_ int, v string) error { return s.WriteRow([]string{v}) }, err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := written(t, func(wb *tabular.Workbook) error {
				write, err := tc.open(wb)
				if err != nil {
					return err
				}
				for i, v := range injections {
					if err := write(i+1, v); err != nil {
						return err
					}
				}
				return nil
			})
			for i, v := range injections {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if formula, _ := f.GetCellFormula("S", cell); formula != "" {
					t.Errorf("%s written as the formula %q", cell, formula)
				}
				if typ, _ := f.GetCellType("S", cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
					t.Errorf("%s has cell type %v, want a string", cell, typ)
				}
				if got, _ := f.GetCellValue("S", cell); got != v {
					t.Errorf("%s = %q, want %q as written", cell, got, v)
				}
			}
		})
	}
}

func TestSetRowWritesNumbersBooleansAndDatesAndRefusesAnythingElse(t *testing.T) {
	day := time.Date(2030, 6, 30, 0, 0, 0, 0, time.UTC)
	f := written(t, func(wb *tabular.Workbook) error {
		s, err := wb.AddSheet("S")
		if err != nil {
			return err
		}
		if err := s.StyleColumn(5, tabular.DateFormat); err != nil {
			return err
		}
		return s.SetRow(1, []any{"text", 42, int64(7), true, day, nil, 2.5})
	})
	want := map[string]excelize.CellType{"A1": excelize.CellTypeSharedString, "B1": excelize.CellTypeUnset, "C1": excelize.CellTypeUnset, "D1": excelize.CellTypeBool, "E1": excelize.CellTypeUnset}
	for cell, typ := range want {
		if got, _ := f.GetCellType("S", cell); got != typ {
			t.Errorf("%s has cell type %v, want %v", cell, got, typ)
		}
	}
	for cell, v := range map[string]string{"B1": "42", "C1": "7", "D1": "TRUE", "E1": "2030-06-30", "F1": "", "G1": "2.5"} {
		if got, _ := f.GetCellValue("S", cell); got != v {
			t.Errorf("%s = %q, want %q", cell, got, v)
		}
	}

	wb := tabular.NewWorkbook()
	defer wb.Close()
	s, _ := wb.AddSheet("S")
	type named string
	for _, v := range []any{named("=1+1"), []byte("=1+1"), struct{}{}} {
		if err := s.SetRow(1, []any{v}); err == nil || !strings.Contains(err.Error(), "cannot write") {
			t.Errorf("SetRow(%T) = %v, want a refusal", v, err)
		}
	}
}

func TestAHighlightedCellIsStyledAndKeepsItsFirstComment(t *testing.T) {
	f := written(t, func(wb *tabular.Workbook) error {
		s, err := wb.AddSheet("S")
		if err != nil {
			return err
		}
		for _, c := range []string{"A1", "B1", "C1"} {
			if err := s.SetText(1, int(c[0]-'A')+1, c); err != nil {
				return err
			}
		}
		if err := s.Highlight(1, 2, "INVALID_GTIN: first"); err != nil {
			return err
		}
		return s.Highlight(1, 2, "UNKNOWN_CATEGORY: second")
	})
	comments, _ := f.GetComments("S")
	if len(comments) != 1 || comments[0].Cell != "B1" || comments[0].Author != "Cascade" || len(comments[0].Paragraph) != 1 || comments[0].Paragraph[0].Text != "INVALID_GTIN: first" {
		t.Fatalf("comments %+v, want the first one on B1", comments)
	}
	plain, _ := f.GetCellStyle("S", "A1")
	marked, _ := f.GetCellStyle("S", "B1")
	if marked == plain {
		t.Fatal("B1 is not highlighted")
	}
	if st, _ := f.GetStyle(marked); len(st.Fill.Color) != 1 || st.Fill.Color[0] != "FFC7CE" {
		t.Errorf("highlight fill %+v", st.Fill)
	}
}

func TestADropDownOffersItsValuesFromAHiddenSheet(t *testing.T) {
	f := written(t, func(wb *tabular.Workbook) error {
		s, err := wb.AddSheet("Products")
		if err != nil {
			return err
		}
		if _, err := wb.AddSheet("Instructions"); err != nil {
			return err
		}
		if err := s.DropDown(6, 2, 100, []string{"smart_plug", "router", "=1+1"}, "Not allowed", "Pick one"); err != nil {
			return err
		}
		return s.DropDown(8, 2, 100, []string{"yes", "no"}, "Not allowed", "Pick one")
	})
	if got := strings.Join(f.GetSheetList(), " "); got != "Products Instructions Lists" {
		t.Fatalf("sheets %s", got)
	}
	if visible, _ := f.GetSheetVisible("Lists"); visible {
		t.Error("the Lists sheet is visible")
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("opens on sheet %d, want the first", f.GetActiveSheetIndex())
	}
	dvs, _ := f.GetDataValidations("Products")
	got := map[string]string{}
	for _, dv := range dvs {
		got[dv.Sqref] = dv.Formula1
		if dv.ErrorStyle == nil || *dv.ErrorStyle != "stop" || dv.Error == nil || *dv.Error != "Pick one" {
			t.Errorf("%s does not refuse other values: %+v", dv.Sqref, dv)
		}
	}
	if got["F2:F100"] != "Lists!$A$1:$A$3" || got["H2:H100"] != "Lists!$B$1:$B$2" {
		t.Fatalf("validations %v", got)
	}
	if v, _ := f.GetCellValue("Lists", "A3"); v != "=1+1" {
		t.Errorf("Lists!A3 = %q", v)
	}
	if formula, _ := f.GetCellFormula("Lists", "A3"); formula != "" {
		t.Errorf("a list value written as the formula %q", formula)
	}
}

func TestColumnWidthsFrozenHeaderAndStylesAreWritten(t *testing.T) {
	f := written(t, func(wb *tabular.Workbook) error {
		s, err := wb.AddSheet("S")
		if err != nil {
			return err
		}
		for _, step := range []func() error{
			func() error { return s.SetRow(1, []any{"a", "b", "c"}) },
			func() error { return s.StyleRow(1, tabular.Header) },
			func() error { return s.StyleColumn(2, tabular.TextFormat) },
			func() error { return s.StyleCells(2, 3, 3, tabular.Wrapped) },
			func() error { return s.ColumnWidth(2, 3, 60) },
			s.FreezeHeader,
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	for col, want := range map[string]float64{"B": 60, "C": 60} {
		if w, _ := f.GetColWidth("S", col); w != want {
			t.Errorf("column %s width %v, want %v", col, w, want)
		}
	}
	if panes, _ := f.GetPanes("S"); !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v, want row 1 frozen", panes)
	}
	if id, _ := f.GetCellStyle("S", "A1"); id == 0 {
		t.Error("the header row has no style")
	} else if st, _ := f.GetStyle(id); !st.Font.Bold || st.Fill.Color[0] != "DDEBF7" {
		t.Errorf("header style %+v", st)
	}
	if id, _ := f.GetColStyle("S", "B"); id == 0 {
		t.Error("column B has no style")
	} else if st, _ := f.GetStyle(id); st.NumFmt != 49 {
		t.Errorf("column B number format %d, want 49 (text)", st.NumFmt)
	}
	if id, _ := f.GetCellStyle("S", "C2"); id == 0 {
		t.Error("C2 has no style")
	} else if st, _ := f.GetStyle(id); st.Alignment == nil || !st.Alignment.WrapText {
		t.Errorf("C2 style %+v, want wrapped", st)
	}
}

// A workbook written twice from the same cells is the same file, so a
// download can be compared with the last one.
func TestTheSameCellsMakeTheSameFile(t *testing.T) {
	write := func() []byte {
		wb := tabular.NewWorkbook()
		defer wb.Close()
		s, _ := wb.AddSheet("S")
		_ = s.SetRow(1, []any{"a", 1, true})
		_ = s.Highlight(1, 1, "x")
		_ = s.DropDown(2, 2, 10, []string{"yes", "no"}, "t", "m")
		st, _ := wb.AddStreamSheet("T")
		_ = st.WriteRow([]string{"b"})
		var buf bytes.Buffer
		if _, err := wb.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := write()
	if !bytes.Equal(first, write()) {
		t.Fatal("two writes of the same workbook differ")
	}
	// And it reads back through the package's own reader.
	path := filepath.Join(t.TempDir(), "w.xlsx")
	if err := os.WriteFile(path, first, 0o600); err != nil {
		t.Fatal(err)
	}
	r, format, err := tabular.Open(path, tabular.Limits{MaxFileBytes: 1 << 20, MaxUnzippedBytes: 1 << 24}, "S")
	if err != nil || format != tabular.XLSX {
		t.Fatalf("open: %v %s", err, format)
	}
	defer r.Close()
	if !r.Next() {
		t.Fatalf("no row: %v", r.Err())
	}
	if _, cells := r.Row(); strings.Join(cells, ",") != "a,1,1" {
		t.Errorf("row 1 reads %q", cells)
	}
}

package tabular

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The differential oracle: excelize's streaming reader, raw values, the way
// Cascade read workbooks before sheet.go; date cells told from the styles
// by excelize (GetStyle) and from the cells' s and t attributes as
// encoding/xml reads them, then turned into ISO dates as the importer sees
// them.

// excelizeRows reads the sheet named preferred (else the first) with excelize.
func excelizeRows(path, preferred string) ([][]string, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := ""
	for _, s := range f.GetSheetList() {
		if preferred != "" && strings.EqualFold(strings.TrimSpace(s), preferred) {
			name = s
			break
		}
	}
	if name == "" {
		list := f.GetSheetList()
		if len(list) == 0 {
			return nil, errors.New("no sheets")
		}
		name = list[0]
	}
	dates, err := excelizeDateCells(f, path, name)
	if err != nil {
		return nil, err
	}
	date1904 := false
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	rows, err := f.Rows(name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, err
		}
		for col := range cells {
			if dates[[2]int{len(out) + 1, col + 1}] {
				if d, ok := serialDate(cells[col], date1904); ok {
					cells[col] = d
				}
			}
		}
		out = append(out, cells)
	}
	return out, rows.Error()
}

// excelizeDateCells finds the number cells whose style excelize says has a
// date format: row and column, both from 1.
func excelizeDateCells(f *excelize.File, path, sheet string) (map[[2]int]bool, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	part := findSheetPart(zr, sheet)
	var ws struct {
		Rows []struct {
			R     string `xml:"r,attr"`
			Cells []struct {
				R string `xml:"r,attr"`
				S int    `xml:"s,attr"`
				T string `xml:"t,attr"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	for _, zf := range zr.File {
		if strings.TrimPrefix(zf.Name, "/") != part {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, err
		}
		err = xml.NewDecoder(rc).Decode(&ws)
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	dateStyle := map[int]bool{}
	out := map[[2]int]bool{}
	row := 0
	for _, r := range ws.Rows {
		row++
		if r.R != "" {
			fmt.Sscan(r.R, &row)
		}
		col := 0
		for _, c := range r.Cells {
			col++
			if c.R != "" {
				if col, _, err = excelize.CellNameToCoordinates(c.R); err != nil {
					return nil, err
				}
			}
			if c.T != "" && c.T != "n" {
				continue
			}
			date, ok := dateStyle[c.S]
			if !ok {
				if st, err := f.GetStyle(c.S); err == nil {
					if st.CustomNumFmt != nil {
						date = isDateFormat(*st.CustomNumFmt)
					} else {
						date = builtinDate(st.NumFmt)
					}
				}
				dateStyle[c.S] = date
			}
			if date {
				out[[2]int{row, col}] = true
			}
		}
	}
	return out, nil
}

// findSheetPart follows the workbook's relationships to the sheet's part.
func findSheetPart(zr *zip.ReadCloser, sheet string) string {
	read := func(name string, v any) {
		for _, f := range zr.File {
			if strings.TrimPrefix(f.Name, "/") == name {
				if rc, err := f.Open(); err == nil {
					xml.NewDecoder(rc).Decode(v)
					rc.Close()
				}
			}
		}
	}
	type rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	var root rels
	read("_rels/.rels", &root)
	wbPath := "xl/workbook.xml"
	for _, r := range root.Rel {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			wbPath = strings.TrimPrefix(filepath.ToSlash(filepath.Clean("/"+r.Target)), "/")
		}
	}
	var wb struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	read(wbPath, &wb)
	rid := ""
	for _, s := range wb.Sheets {
		if s.Name == sheet {
			for _, a := range s.Attrs {
				if a.Name.Local == "id" {
					rid = a.Value
				}
			}
		}
	}
	dir := filepath.ToSlash(filepath.Dir(wbPath))
	var wbRels rels
	read(dir+"/_rels/"+filepath.Base(wbPath)+".rels", &wbRels)
	for _, r := range wbRels.Rel {
		if r.ID == rid {
			return partPath(dir, r.Target)
		}
	}
	return ""
}

// sheetRows reads the sheet with the reader under test, checking that it
// numbers its rows one after another and holds as many as it yields.
func sheetRows(path, preferred string) ([][]string, error) {
	r, _, err := Open(path, testLimits, preferred)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out [][]string
	for r.Next() {
		num, cells := r.Row()
		if num != len(out)+1 {
			return nil, fmt.Errorf("row %d yielded as row %d", len(out)+1, num)
		}
		out = append(out, cells)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if r.Held() != len(out) {
		return nil, fmt.Errorf("holds %d rows, yielded %d", r.Held(), len(out))
	}
	return out, nil
}

// sameRows compares two readings, an empty row the same as a missing slice.
func sameRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) == 0 && len(b[i]) == 0 {
			continue
		}
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// agree requires both readers to read path the same; it returns the rows.
func agree(t *testing.T, path, preferred string) [][]string {
	t.Helper()
	want, werr := excelizeRows(path, preferred)
	got, err := sheetRows(path, preferred)
	if werr != nil || err != nil {
		t.Fatalf("excelize: %v; sheet reader: %v", werr, err)
	}
	if !sameRows(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w []string
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) && (len(g) > 0 || len(w) > 0) {
				t.Fatalf("row %d differs (of %d / %d):\n sheet reader %q\n excelize     %q", i+1, len(got), len(want), g, w)
			}
		}
		t.Fatalf("rows differ: %d / %d", len(got), len(want))
	}
	return got
}

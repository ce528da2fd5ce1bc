package tabular

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// excelize's row iterator trusts a sheet's row numbers: a row whose number
// is not above the one before it (r=1,3,2 or 5,5) is merged into the row
// before it, and a cell whose column is not right of the one before it
// lands in the wrong column, both without an error. Spreadsheet programs
// never write either, so a sheet that does is refused whole
// (ROWS_OUT_OF_ORDER). The same count gives the number of rows the sheet
// holds, which the import checks against the rows it accounted for.
//
// rowCounter is fed the worksheet's bytes as the XML scan reads them. It
// reads only tags: their names, and the r attribute of <row> and <c> inside
// <sheetData>; comments, CDATA and processing instructions are skipped.

// rowCounter states.
const (
	rcText    = iota // between tags
	rcName           // after "<": the tag's name
	rcTag            // inside a tag, between attributes
	rcAttr           // an attribute's name
	rcEq             // after an attribute name: "=" and the opening quote
	rcValue          // an attribute's value, up to the closing quote
	rcComment        // <!-- … -->, <![CDATA[ … ]]>, <? … ?>, <!DOCTYPE …>
)

type rowCounter struct {
	state   int
	name    []byte // the tag name or attribute name being read
	value   []byte // the r attribute's value
	quote   byte
	closing []byte // what ends the comment, CDATA or instruction being skipped
	tail    []byte // its last bytes read

	endTag, selfClosing bool
	tag                 string // "row", "c", "sheetData" or "" for any other start tag
	isR                 bool   // the attribute being read is r
	hasR                bool   // the current tag has an r attribute: value

	inSheetData bool
	lastRow     int // the number of the last row read
	lastCol     int // the column of the last cell of that row
}

const maxAttrValue = 32

func (c *rowCounter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		switch {
		case c.state == rcText:
			i := bytes.IndexByte(b, '<')
			if i < 0 {
				return n, nil
			}
			b = b[i+1:]
			c.state, c.name, c.endTag, c.selfClosing, c.tag, c.hasR = rcName, c.name[:0], false, false, "", false
			continue
		case c.state == rcValue && !c.isR:
			// Another attribute's value: skipped whole.
			i := bytes.IndexByte(b, c.quote)
			if i < 0 {
				return n, nil
			}
			b, c.state = b[i+1:], rcTag
			continue
		case c.state == rcTag && (c.tag == "" || c.endTag):
			// A tag whose attributes do not matter: up to its end, skipping quoted values.
			i := bytes.IndexAny(b, `>"'`)
			if i < 0 {
				return n, nil
			}
			if b[i] != '>' {
				b, c.state, c.quote, c.isR = b[i+1:], rcValue, b[i], false
				continue
			}
			c.selfClosing = i > 0 && b[i-1] == '/'
			b = b[i:]
		}
		ch := b[0]
		b = b[1:]
		if err := c.step(ch); err != nil {
			return n - len(b), err
		}
	}
	return n, nil
}

func (c *rowCounter) step(ch byte) error {
	switch c.state {
	case rcName:
		switch {
		case len(c.name) == 0 && ch == '/':
			c.endTag = true
			return nil
		case len(c.name) == 0 && ch == '?':
			c.skip("?>")
			return nil
		case len(c.name) == 0 && ch == '!':
			c.name = append(c.name, ch)
			return nil
		case len(c.name) > 0 && c.name[0] == '!':
			c.name = append(c.name, ch)
			switch string(c.name) {
			case "!--":
				c.skip("-->")
			case "![CDATA[":
				c.skip("]]>")
			default:
				if !strings.HasPrefix("!--", string(c.name)) && !strings.HasPrefix("![CDATA[", string(c.name)) {
					c.skip(">") // a DTD: the XML scan refuses it
				}
			}
			return nil
		case isSpace(ch) || ch == '>' || ch == '/':
			c.nameRead()
			c.state = rcTag
			return c.step(ch)
		}
		if len(c.name) < 64 {
			c.name = append(c.name, ch)
		}
	case rcTag:
		switch {
		case ch == '>':
			c.state = rcText
			return c.tagRead()
		case ch == '/':
			c.selfClosing = true
		case !isSpace(ch):
			c.state, c.name = rcAttr, append(c.name[:0], ch)
		}
	case rcAttr:
		switch {
		case ch == '=' || isSpace(ch):
			c.isR = string(c.name) == "r"
			c.state = rcEq
			return c.step(ch)
		case ch == '>' || ch == '/':
			c.state = rcTag
			return c.step(ch)
		}
		if len(c.name) < 64 {
			c.name = append(c.name, ch)
		}
	case rcEq:
		if ch == '"' || ch == '\'' {
			c.state, c.quote = rcValue, ch
			if c.isR {
				c.value = c.value[:0]
			}
		} else if ch == '>' {
			c.state = rcTag
			return c.step(ch)
		}
	case rcValue:
		if ch == c.quote {
			c.hasR = c.hasR || c.isR
			c.state = rcTag
		} else if c.isR && len(c.value) <= maxAttrValue {
			c.value = append(c.value, ch)
		}
	case rcComment:
		c.tail = append(c.tail, ch)
		if len(c.tail) > len(c.closing) {
			c.tail = c.tail[1:]
		}
		if string(c.tail) == string(c.closing) {
			c.state = rcText
		}
	}
	return nil
}

func (c *rowCounter) skip(closing string) {
	c.state, c.closing, c.tail = rcComment, append(c.closing[:0], closing...), c.tail[:0]
}

// nameRead notes which tag starts, by its local name (any namespace prefix dropped).
func (c *rowCounter) nameRead() {
	local := c.name
	if i := bytes.LastIndexByte(local, ':'); i >= 0 {
		local = local[i+1:]
	}
	switch string(local) {
	case "row":
		c.tag = "row"
	case "c":
		c.tag = "c"
	case "sheetData":
		c.tag = "sheetData"
	}
}

// tagRead checks a tag once it is read whole.
func (c *rowCounter) tagRead() error {
	switch {
	case c.tag == "sheetData":
		c.inSheetData = !c.endTag && !c.selfClosing
	case c.endTag || !c.inSheetData:
	case c.tag == "row":
		n := c.lastRow + 1 // a row without a number follows the one before
		if c.hasR {
			v, ok := digits(c.value)
			if !ok {
				return nil // excelize refuses it itself
			}
			n = v
		}
		if n <= c.lastRow {
			return errs.Invalidf("ROWS_OUT_OF_ORDER", "the sheet's row %d comes after its row %d: rows must be in order, each once; save the file again from your spreadsheet program", n, c.lastRow)
		}
		c.lastRow, c.lastCol = n, 0
	case c.tag == "c":
		col := c.lastCol + 1
		if c.hasR {
			col = 0
			letters := bytes.TrimLeft(c.value, "$")
			for _, l := range letters {
				switch {
				case l >= 'A' && l <= 'Z':
					col = col*26 + int(l-'A'+1)
				case l >= 'a' && l <= 'z':
					col = col*26 + int(l-'a'+1)
				default:
					goto done
				}
				if col > 1<<20 {
					return nil // not a cell name: excelize refuses it itself
				}
			}
		done:
			if col == 0 {
				return nil // not a cell name: excelize refuses it itself
			}
		}
		if col <= c.lastCol {
			return errs.Invalidf("ROWS_OUT_OF_ORDER", "in row %d of the sheet, cell %s comes after a cell to its right: cells must be in column order, each once; save the file again from your spreadsheet program", c.lastRow, c.value)
		}
		c.lastCol = col
	}
	return nil
}

// digits reads a row number written as decimal digits.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, d := range b {
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int(d-'0')
	}
	return n, true
}

// sheetPart finds the zip part of the worksheet named sheet, as excelize
// does: the workbook's relationships map the sheet's r:id to a target.
// "" when it cannot be found (excelize then fails to open the sheet).
func sheetPart(zr *zip.Reader, sheet string) string {
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	workbook := "xl/workbook.xml"
	if decodePart(zr, "_rels/.rels", &rels) == nil {
		for _, r := range rels.Rel {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				workbook = strings.TrimPrefix(r.Target, "/")
			}
		}
	}
	var wb struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"` // r:id, in the transitional or the strict namespace
		} `xml:"sheets>sheet"`
	}
	if decodePart(zr, workbook, &wb) != nil {
		return ""
	}
	rid := ""
	for _, s := range wb.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && strings.HasSuffix(a.Name.Space, "relationships") {
				rid = a.Value
			}
		}
		break
	}
	rels.Rel = nil
	dir, file := path.Split(workbook)
	if rid == "" || decodePart(zr, dir+"_rels/"+file+".rels", &rels) != nil {
		return ""
	}
	for _, r := range rels.Rel {
		if r.ID == rid { // as excelize's getWorksheetPath
			target := strings.ReplaceAll(r.Target, `\`, "/")
			if !strings.HasPrefix(target, "/") {
				target = dir + "/" + target
			}
			return strings.TrimPrefix(path.Clean(target), "/")
		}
	}
	return ""
}

// maxIndexPart bounds the workbook parts sheetPart decodes: a workbook
// listing a few thousand sheets is far below it.
const maxIndexPart = 16 << 20

func decodePart(zr *zip.Reader, name string, v any) error {
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		return xml.NewDecoder(io.LimitReader(rc, maxIndexPart)).Decode(v)
	}
	return errors.New("no part " + name)
}

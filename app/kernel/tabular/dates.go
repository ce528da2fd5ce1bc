package tabular

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// A number cell of a workbook is a date only when its cell format's number
// format is a date format (numfmt.go, read from styles.xml by workbook.go):
// those cells, and only those, are turned into ISO dates (2029-06-30, or
// 2029-06-30 18:00:00 with a time of day), in the workbook's 1900 or 1904
// date system. Every other number stays the number it is.

// serialDate reads a date cell's number as Excel does: days since
// 1899-12-31 (with Excel's 29 February 1900, which never was: refused) or,
// in the 1904 system, since 1904-01-01; a fraction is the time of day.
func serialDate(raw string, date1904 bool) (string, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || math.IsNaN(v) || v < 0 || v >= 3e6 {
		return "", false
	}
	days := math.Floor(v)
	secs := math.Round((v - days) * 86400)
	if secs >= 86400 {
		days, secs = days+1, 0
	}
	var t time.Time
	switch d := int(days); {
	case date1904:
		t = time.Date(1904, 1, 1+d, 0, 0, int(secs), 0, time.UTC)
	case d == 0 || d == 60: // 1900-01-00 and 1900-02-29 are no dates
		return "", false
	case d < 60:
		t = time.Date(1899, 12, 31+d, 0, 0, int(secs), 0, time.UTC)
	default:
		t = time.Date(1899, 12, 30+d, 0, 0, int(secs), 0, time.UTC)
	}
	if t.Year() > 9999 {
		return "", false
	}
	if secs == 0 {
		return t.Format(time.DateOnly), true
	}
	return t.Format(time.DateTime), true
}

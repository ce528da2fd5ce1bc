// Package civil holds the calendar date used for support periods, label
// expiry and delivery dates: a day without a time zone, stored as ISO text so
// that it compares the same way in SQLite and PostgreSQL.
package civil

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Date is a calendar day. The zero value means "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

const layout = "2006-01-02"

// Parse reads an ISO date (YYYY-MM-DD).
func Parse(s string) (Date, error) {
	t, err := time.Parse(layout, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not YYYY-MM-DD: %w", s, err)
	}
	return Of(t), nil
}

// Of returns the date of t in t's location.
func Of(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// Today is the current date in UTC.
func Today() Date { return Of(time.Now().UTC()) }

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Time is midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays moves d by n days.
func (d Date) AddDays(n int) Date { return Of(d.Time().AddDate(0, 0, n)) }

// AddMonths moves d by n calendar months, clamping to the month's last day
// (2026-01-31 + 1 month = 2026-02-28), as people count support periods.
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	day := min(d.Day, last)
	return Date{first.Year(), first.Month(), day}
}

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.Time().Before(o.Time()) }

// After reports whether d is later than o.
func (d Date) After(o Date) bool { return d.Time().After(o.Time()) }

// Compare is -1, 0 or +1 as d is before, on or after o (for slices.SortFunc).
func (d Date) Compare(o Date) int { return d.Time().Compare(o.Time()) }

// String is d as YYYY-MM-DD, or "" when unset. Imports format two dates a
// row, so it avoids fmt.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	b, _ := d.AppendText(make([]byte, 0, 10))
	return string(b)
}

// AppendText appends d as YYYY-MM-DD to b, nothing when unset
// (encoding.TextAppender).
func (d Date) AppendText(b []byte) ([]byte, error) {
	if d.IsZero() {
		return b, nil
	}
	if d.Year < 0 || d.Month < 0 || d.Day < 0 {
		return fmt.Appendf(b, "%04d-%02d-%02d", d.Year, d.Month, d.Day), nil
	}
	b = appendPadded(b, d.Year, 4)
	b = append(b, '-')
	b = appendPadded(b, int(d.Month), 2)
	b = append(b, '-')
	return appendPadded(b, d.Day, 2), nil
}

// appendPadded appends n in decimal, zero-padded on the left to width digits.
func appendPadded(b []byte, n, width int) []byte {
	start := len(b)
	b = strconv.AppendInt(b, int64(n), 10)
	for len(b)-start < width {
		b = slices.Insert(b, start, '0')
	}
	return b
}

// Value stores d as ISO text, or NULL when unset.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads ISO text (or a time from drivers that return one).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		return d.parseInto(v)
	case []byte:
		return d.parseInto(string(v))
	case time.Time:
		*d = Of(v)
		return nil
	}
	return fmt.Errorf("civil.Date: cannot scan %T", src)
}

func (d *Date) parseInto(s string) error {
	if s == "" {
		*d = Date{}
		return nil
	}
	if len(s) > len(layout) { // a driver that formatted a DATE as a timestamp
		s = s[:len(layout)]
	}
	p, err := Parse(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// MarshalJSON writes "YYYY-MM-DD" or null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil || *s == "" {
		*d = Date{}
		return nil
	}
	p, err := Parse(*s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

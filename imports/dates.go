package imports

import (
	"strconv"
	"strings"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/civil"
)

// parseDate reads a support-period end as suppliers write it: ISO
// 2028-06-30, 2028-06 (the last day of that month), an Excel date cell
// (which the reader hands over as an ISO date), dd.mm.yyyy, or dd/mm/yyyy
// and mm/dd/yyyy when one of the two numbers is over 12. When both could be
// the month it never guesses: AMBIGUOUS_DATE. A bare number is no date, in
// a CSV as in a workbook cell whose number format is not a date format.
func parseDate(raw string) (civil.Date, *RowError) {
	s := strings.TrimSpace(raw)
	if d, ok := parseISO(s); ok {
		return d, nil
	}
	for _, sep := range []string{"/", "."} {
		parts := strings.Split(s, sep)
		if len(parts) != 3 {
			continue
		}
		a, errA := strconv.Atoi(parts[0])
		b, errB := strconv.Atoi(parts[1])
		y, errY := strconv.Atoi(parts[2])
		if errA != nil || errB != nil || errY != nil {
			break
		}
		if len(parts[2]) != 4 {
			return civil.Date{}, rowErr(CodeInvalidDate, "the date %q needs a four-digit year", raw)
		}
		day, month := a, b // dd.mm.yyyy is always day first
		if sep == "/" {
			switch {
			case a > 12 && b <= 12:
				day, month = a, b
			case b > 12 && a <= 12:
				day, month = b, a
			case a == b:
				day, month = a, b
			case a <= 12 && b <= 12:
				return civil.Date{}, rowErr(CodeAmbiguousDate, "the date %q could be %d %s or %d %s", raw,
					a, time.Month(b), b, time.Month(a))
			default:
				return civil.Date{}, rowErr(CodeInvalidDate, "the date %q is not a calendar date", raw)
			}
		}
		if d, ok := makeDate(y, month, day); ok {
			return d, nil
		}
		return civil.Date{}, rowErr(CodeInvalidDate, "the date %q is not a calendar date", raw)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return civil.Date{}, rowErr(CodeInvalidDate, "%q is a number, not a date (a number cell is a date only when it is formatted as a date)", raw)
	}
	return civil.Date{}, rowErr(CodeInvalidDate, "%q is not a date", raw)
}

// parseISO accepts 2028-06-30, 2028-06-30 00:00:00, 2028-06-30T00:00:00Z and 2028-06.
func parseISO(s string) (civil.Date, bool) {
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	parts := strings.Split(s, "-")
	if len(parts) < 2 || len(parts) > 3 || len(parts[0]) != 4 {
		return civil.Date{}, false
	}
	y, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || len(parts[1]) > 2 {
		return civil.Date{}, false
	}
	if len(parts) == 2 { // a month: support ends on its last day
		if m < 1 || m > 12 {
			return civil.Date{}, false
		}
		return civil.Of(time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)), true
	}
	d, err := strconv.Atoi(parts[2])
	if err != nil || len(parts[2]) > 2 {
		return civil.Date{}, false
	}
	return makeDate(y, m, d)
}

func makeDate(y, m, d int) (civil.Date, bool) {
	if y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return civil.Date{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return civil.Date{}, false // 31 June rolled over
	}
	return civil.Of(t), true
}

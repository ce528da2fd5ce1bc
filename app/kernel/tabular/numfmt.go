package tabular

import "strings"

// A number cell of a workbook is a date only when its number format says so
// (SPEC §2): a General cell holding 2028 is the number 2028, not the 2028th
// day of 1900. These functions tell a date format from any other.

// builtinDate reports whether a built-in number format (ECMA-376 Part 1,
// 18.8.30) shows a date. 14–17 and 22 are dates; 18–21 and 45–47 times of
// day or durations (no date); 27–36 and 50–58 are the East Asian date
// formats, dates in every locale that defines them except a few time-only
// ones whose locale the workbook does not name: counted as dates, they can
// only yield a date from a value of at least one day.
func builtinDate(id int) bool {
	switch {
	case 14 <= id && id <= 17, id == 22:
		return true
	case 27 <= id && id <= 36, 50 <= id && id <= 58:
		return true
	}
	return false
}

// isDateFormat reports whether a custom number format code shows a date: its
// first section (the one for positive numbers, which date serials are) has a
// year, month, day or era part once quoted text, escaped and padding
// characters and bracketed sections ([Red], [$-409], [h], [>=100]) are
// ignored. A format with only hours, minutes and seconds is a time or a
// duration, not a date.
func isDateFormat(code string) bool {
	var tokens []byte // the date and time letters, lower-cased, in order
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case ';': // the end of the first section
			i = len(code)
			continue
		case '"': // quoted text
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
			continue
		case '\\', '_', '*': // an escaped character, a space as wide as one, a fill
			i++
			continue
		case '[': // colour, locale, condition or elapsed time
			if j := strings.IndexByte(code[i:], ']'); j >= 0 {
				i += j
			} else {
				i = len(code)
			}
			continue
		}
		switch lc := c | 0x20; lc {
		case 'e':
			// 0.00E+00 is scientific notation; e elsewhere is the era year.
			if i+1 < len(code) && (code[i+1] == '+' || code[i+1] == '-') {
				i++
				continue
			}
			tokens = append(tokens, lc)
		case 'g':
			// General is no date; g, gg, ggg is the era name.
			if strings.HasPrefix(strings.ToLower(code[i:]), "general") {
				i += len("general") - 1
				continue
			}
			tokens = append(tokens, lc)
		case 'a':
			// AM/PM and A/P are part of a time; any other a is literal.
			if rest := strings.ToLower(code[i:]); strings.HasPrefix(rest, "am/pm") {
				i += len("am/pm") - 1
			} else if strings.HasPrefix(rest, "a/p") {
				i += len("a/p") - 1
			}
		case 'y', 'd', 'b', 'h', 's', 'm':
			tokens = append(tokens, lc)
		}
	}
	for i, t := range tokens {
		switch t {
		case 'y', 'd', 'e', 'g', 'b':
			return true
		case 'm':
			if !isMinute(tokens, i) {
				return true // a month
			}
		}
	}
	return false
}

// isMinute tells whether the m at tokens[i] (one of a run of m) means
// minutes: it follows an hour or comes before seconds.
func isMinute(tokens []byte, i int) bool {
	start, end := i, i
	for start > 0 && tokens[start-1] == 'm' {
		start--
	}
	for end+1 < len(tokens) && tokens[end+1] == 'm' {
		end++
	}
	if start > 0 && tokens[start-1] == 'h' {
		return true
	}
	return end+1 < len(tokens) && tokens[end+1] == 's'
}

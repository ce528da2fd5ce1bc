package imports

import "strings"

// Prices come as suppliers type them: "19,99", "1.299,00 €", "GBP 19.99".
// A price whose decimal separator is certain is stored as a number with a
// point ("19.99"), its currency taken from the cell when the currency
// column is empty; one that is not ("1,299" is 1299 or 1.299) is kept as
// written, never guessed.

var currencySymbols = map[string]string{"£": "GBP", "€": "EUR"}

// The three shapes below are tested against the regular expressions they
// stand for (price_test.go); written out, they cost a tenth of the time on
// the path of every imported row.

// isCurrencyCode reports whether s is three ASCII letters: [A-Za-z]{3}.
func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range 3 {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isPlainAmount reports whether s is one or more ASCII digits: [0-9]+.
func isPlainAmount(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isGrouped reports whether s groups its digits by three with points or
// commas: [0-9]{1,3}([.,][0-9]{3})+.
func isGrouped(s string) bool {
	first := strings.IndexAny(s, ".,")
	if first < 1 || first > 3 || !isPlainAmount(s[:first]) || (len(s)-first)%4 != 0 {
		return false
	}
	for i := first; i < len(s); i += 4 {
		if s[i] != '.' && s[i] != ',' || !isPlainAmount(s[i+1:i+4]) {
			return false
		}
	}
	return true
}

// parsePrice reads a price cell: the amount with a point for decimals and
// the currency the cell names ("" if none); ok is false when the amount is
// ambiguous or not a number.
func parsePrice(raw string) (amount, currency string, ok bool) {
	s := strings.TrimSpace(raw)
	if startsAndEndsWithDigits(s) {
		// Neither a symbol nor a currency code can start or end it (most
		// prices): the amount alone, without markedPrice's look-ups.
		amount, ok = decimalAmount(s)
		return amount, "", ok
	}
	return markedPrice(s)
}

func startsAndEndsWithDigits(s string) bool {
	return s != "" && isDigit(s[0]) && isDigit(s[len(s)-1])
}

// markedPrice is parsePrice of a trimmed price that may carry a currency
// symbol or code.
func markedPrice(s string) (amount, currency string, ok bool) {
	for sym, code := range currencySymbols {
		if cut, found := strings.CutPrefix(s, sym); found {
			s, currency = strings.TrimSpace(cut), code
		} else if cut, found := strings.CutSuffix(s, sym); found {
			s, currency = strings.TrimSpace(cut), code
		}
	}
	if currency == "" {
		if f := strings.Fields(s); len(f) == 2 {
			switch {
			case isCurrencyCode(f[0]):
				s, currency = f[1], strings.ToUpper(f[0])
			case isCurrencyCode(f[1]):
				s, currency = f[0], strings.ToUpper(f[1])
			}
		}
	}
	amount, ok = decimalAmount(s)
	return amount, currency, ok
}

// decimalAmount is s with a point for decimals and no thousands separators,
// when which separator is which is certain.
func decimalAmount(s string) (string, bool) {
	if isPlainAmount(s) {
		return s, true
	}
	last := strings.LastIndexAny(s, ".,")
	if last <= 0 {
		return "", false
	}
	whole, frac := s[:last], s[last+1:]
	sep := s[last]
	other := byte(',')
	if sep == ',' {
		other = '.'
	}
	switch {
	case !isPlainAmount(frac):
		return "", false
	case strings.IndexByte(whole, sep) >= 0:
		// The same separator twice: thousands, if it groups by three ("1,299,000").
		if isGrouped(s) && strings.IndexByte(s, other) < 0 {
			return strings.NewReplacer(",", "", ".", "").Replace(s), true
		}
		return "", false
	case strings.IndexByte(whole, other) >= 0:
		// Both: the last is the decimal one, the other groups ("1.299,00").
		if !isGrouped(whole) || len(frac) > 2 {
			return "", false
		}
		return strings.NewReplacer(string(other), "").Replace(whole) + "." + frac, true
	case len(frac) == 3:
		return "", false // "1,299": a thousand and more, or one and a bit
	case isPlainAmount(whole) && len(frac) <= 2:
		if sep == '.' {
			return s, true // as written: no copy
		}
		return whole + "." + frac, true
	}
	return "", false
}

package imports

import (
	"regexp"
	"testing"
)

func TestPricesAreReadWhenTheirDecimalSeparatorIsCertain(t *testing.T) {
	cases := []struct {
		raw, amount, currency string
		ok                    bool
	}{
		{"19.99", "19.99", "", true},
		{"19,99", "19.99", "", true},
		{"19,9", "19.9", "", true},
		{"129", "129", "", true},
		{"1.299,00", "1299.00", "", true},
		{"1,299.00", "1299.00", "", true},
		{"1,299,000", "1299000", "", true},
		{"£19.99", "19.99", "GBP", true},
		{"19,99 €", "19.99", "EUR", true},
		{"EUR 19,99", "19.99", "EUR", true},
		{"19.99 gbp", "19.99", "GBP", true},
		{"1,299", "", "", false},   // 1299 or 1.299
		{"1.299", "", "", false},   // the same, the other way
		{"1,2,3", "", "", false},   // no grouping by three
		{"1.29,99", "", "", false}, // a bad group
		{"$19.99", "", "", false},  // dollars of which country?
		{"free", "", "", false},
		{",99", "", "", false},
	}
	for _, c := range cases {
		amount, currency, ok := parsePrice(c.raw)
		if ok != c.ok || (ok && (amount != c.amount || currency != c.currency)) {
			t.Errorf("%q: %q %q %v, want %q %q %v", c.raw, amount, currency, ok, c.amount, c.currency, c.ok)
		}
	}
}

// A price that starts and ends with a digit is read without looking for a
// currency (parsePrice's shortcut): it reads as markedPrice reads it, on
// every such string of up to five characters of those that matter.
func TestAPriceOfDigitsAtBothEndsReadsAsAMarkedOne(t *testing.T) {
	alphabet := []string{"0", "9", ".", ",", " ", "£", "€", "E", "u", "R", "g"}
	var walk func(s string, depth int)
	walk = func(s string, depth int) {
		if startsAndEndsWithDigits(s) {
			a, c, ok := markedPrice(s)
			if wa, wok := decimalAmount(s); a != wa || c != "" || ok != wok {
				t.Fatalf("%q: markedPrice %q %q %v, the shortcut %q \"\" %v", s, a, c, ok, wa, wok)
			}
		}
		if depth == 0 {
			return
		}
		for _, a := range alphabet {
			walk(s+a, depth-1)
		}
	}
	walk("", 5)
}

// The written-out shapes of a price read exactly as the regular expressions
// they replace, on every string of up to six characters that matter to them.
func TestThePriceShapesMatchTheirRegularExpressions(t *testing.T) {
	shapes := []struct {
		name string
		fn   func(string) bool
		re   *regexp.Regexp
	}{
		{"isCurrencyCode", isCurrencyCode, regexp.MustCompile(`^[A-Za-z]{3}$`)},
		{"isPlainAmount", isPlainAmount, regexp.MustCompile(`^[0-9]+$`)},
		{"isGrouped", isGrouped, regexp.MustCompile(`^[0-9]{1,3}([.,][0-9]{3})+$`)},
	}
	alphabet := []string{"0", "9", ".", ",", "a", "Z", "@", "[", "`", "{", " ", "é"}
	var walk func(s string, depth int)
	walk = func(s string, depth int) {
		for _, sh := range shapes {
			if got, want := sh.fn(s), sh.re.MatchString(s); got != want {
				t.Fatalf("%s(%q) = %v, the expression says %v", sh.name, s, got, want)
			}
		}
		if depth == 0 {
			return
		}
		for _, c := range alphabet {
			walk(s+c, depth-1)
		}
	}
	walk("", 5)
	for _, s := range []string{"1,299,000", "12.345.678", "123,456.789", "1234,567", "1,2345", "1,299,00"} {
		walk(s, 1)
	}
}

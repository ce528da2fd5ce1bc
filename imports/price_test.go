package imports

import "testing"

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

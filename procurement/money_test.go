package procurement_test

import (
	"slices"
	"testing"

	"github.com/cascade-gate/cascade/procurement"
)

func TestLineTotalIsQuantityTimesUnitPriceInExactDecimals(t *testing.T) {
	cases := []struct {
		name     string
		qty      int
		price    string
		currency string
		want     string
	}{
		{"whole price", 3, "12", "GBP", "36.00"},
		{"pence", 3, "0.10", "GBP", "0.30"},
		{"four decimals kept", 7, "0.0001", "EUR", "0.0007"},
		{"trailing zeros beyond pence dropped", 2, "1.2500", "EUR", "2.50"},
		{"the largest price times the largest quantity", 1_000_000, "999999999999.9999", "USD", "999999999999999900.00"},
		{"zero", 5, "0", "GBP", "0.00"},
		{"no price", 5, "", "", ""},
		{"a price without its currency counts for nothing", 5, "2", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := procurement.LineTotal(procurement.Line{Quantity: c.qty, UnitPrice: c.price, Currency: c.currency}); got != c.want {
				t.Errorf("LineTotal = %q, want %q", got, c.want)
			}
		})
	}
}

func TestOrderTotalsAddUpEachCurrencyAndNeverMixThem(t *testing.T) {
	l := func(qty int, price, cur string) procurement.Line {
		return procurement.Line{Quantity: qty, UnitPrice: price, Currency: cur}
	}
	cases := []struct {
		name     string
		lines    []procurement.Line
		want     []procurement.Total
		unpriced int
	}{
		{"no lines", nil, nil, 0},
		{"0.1 + 0.2 is 0.3, not a float's 0.30000000000000004", []procurement.Line{l(1, "0.1", "GBP"), l(1, "0.2", "GBP")},
			[]procurement.Total{{Currency: "GBP", Amount: "0.30", Lines: 2}}, 0},
		{"one currency", []procurement.Line{l(3, "79.99", "GBP"), l(2, "10.005", "GBP")},
			[]procurement.Total{{Currency: "GBP", Amount: "259.98", Lines: 2}}, 0},
		{"mixed currencies: one total each, by code", []procurement.Line{l(1, "5", "USD"), l(2, "3.50", "EUR"), l(1, "1", "USD")},
			[]procurement.Total{{Currency: "EUR", Amount: "7.00", Lines: 1}, {Currency: "USD", Amount: "6.00", Lines: 2}}, 0},
		{"unpriced lines are counted, not added", []procurement.Line{l(4, "", ""), l(1, "2", "GBP")},
			[]procurement.Total{{Currency: "GBP", Amount: "2.00", Lines: 1}}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, unpriced := procurement.OrderTotals(c.lines)
			if !slices.Equal(got, c.want) || unpriced != c.unpriced {
				t.Errorf("OrderTotals = %+v, %d unpriced; want %+v, %d", got, unpriced, c.want, c.unpriced)
			}
		})
	}
}

package procurement

import (
	"maps"
	"math/big"
	"slices"
	"strings"
)

// Amounts are exact decimals: a price has at most four digits after the
// point, so every sum and product is computed in ten-thousandths as a big
// integer, never as a float (0.1 + 0.2 is 0.3 here).
const priceScale = 4

// decimalUnits reads a price ParsePrice accepted as ten-thousandths.
func decimalUnits(price string) (*big.Int, bool) {
	whole, frac, _ := strings.Cut(price, ".")
	if len(frac) > priceScale {
		return nil, false
	}
	n, ok := new(big.Int).SetString(whole+frac+strings.Repeat("0", priceScale-len(frac)), 10)
	return n, ok
}

// formatUnits writes ten-thousandths as a decimal with at least two digits
// after the point, the way prices are written: 1234500 is "123.45".
func formatUnits(n *big.Int) string {
	s := n.String()
	if len(s) <= priceScale {
		s = strings.Repeat("0", priceScale-len(s)+1) + s
	}
	whole, frac := s[:len(s)-priceScale], strings.TrimRight(s[len(s)-priceScale:], "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return whole + "." + frac
}

// LineTotal is a line's quantity times its unit price, or "" when the line
// has no price.
func LineTotal(l Line) string {
	n, ok := lineUnits(l)
	if !ok {
		return ""
	}
	return formatUnits(n)
}

func lineUnits(l Line) (*big.Int, bool) {
	if l.UnitPrice == "" || l.Currency == "" {
		return nil, false
	}
	n, ok := decimalUnits(l.UnitPrice)
	if !ok {
		return nil, false
	}
	return n.Mul(n, big.NewInt(int64(l.Quantity))), true
}

// Total is what an order's lines in one currency add up to. Amounts in
// different currencies are never added: an order in GBP and EUR has two.
type Total struct {
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
	Lines    int    `json:"lines"` // how many lines it adds up
}

// OrderTotals is the order's total per currency, by currency code, and how
// many lines have no price (they count in no total: an approver sees that
// the value is incomplete, rather than a total that silently omits them).
func OrderTotals(lines []Line) (totals []Total, unpriced int) {
	sums := map[string]*big.Int{}
	counts := map[string]int{}
	for _, l := range lines {
		n, ok := lineUnits(l)
		if !ok {
			unpriced++
			continue
		}
		if sums[l.Currency] == nil {
			sums[l.Currency] = new(big.Int)
		}
		sums[l.Currency].Add(sums[l.Currency], n)
		counts[l.Currency]++
	}
	for _, cur := range slices.Sorted(maps.Keys(sums)) {
		totals = append(totals, Total{Currency: cur, Amount: formatUnits(sums[cur]), Lines: counts[cur]})
	}
	return totals, unpriced
}

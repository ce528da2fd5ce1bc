package procurement

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/currency"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// A unit price is a plain decimal: digits, optionally a point and up to
// four more digits. No sign, exponent, grouping, NaN or Infinity, and so
// nothing a spreadsheet could read as a formula.
var priceText = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,4})?$`)

// ParsePrice reads a unit price (≥ 0, at most 12 digits before the point
// and 4 after) and returns it without leading zeros; "" stays "" (no price
// given).
func ParsePrice(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if !priceText.MatchString(s) {
		return "", fmt.Errorf("%q is not a price: give a decimal number of at least 0 such as 12.50, with no sign, exponent or other text", s)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole = strings.TrimLeft(whole, "0"); whole == "" {
		whole = "0"
	}
	if frac != "" {
		return whole + "." + frac, nil
	}
	return whole, nil
}

// ParseCurrency reads an ISO 4217 currency code in any case and returns
// it in upper case; "" stays "". XXX (no currency) and XTS (testing) are
// codes but no currency anything is bought in.
func ParseCurrency(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := currency.ParseISO(s)
	if err != nil || len(s) != 3 || u.String() == "XXX" || u.String() == "XTS" {
		return "", fmt.Errorf("%q is not an ISO 4217 currency code such as GBP, EUR or USD", s)
	}
	return u.String(), nil
}

// validateLine checks and normalises what a buyer gives for a line. Every
// field at fault is named in the details; the error's code is the first
// fault's.
func (s *Service) validateLine(n *NewLine) error {
	var fields []errs.FieldError
	code, message := "", ""
	fault := func(c, field, msg string) {
		if code == "" {
			code, message = c, msg
		}
		fields = append(fields, errs.FieldError{Field: field, Message: msg})
	}
	if n.Quantity <= 0 || n.Quantity > 1_000_000 {
		fault("INVALID_QUANTITY", "quantity", "quantity must be between 1 and 1,000,000")
	}
	price, err := ParsePrice(n.UnitPrice)
	if err != nil {
		fault("INVALID_UNIT_PRICE", "unit_price", err.Error())
	}
	cur, err := ParseCurrency(n.Currency)
	switch {
	case err != nil:
		fault("INVALID_CURRENCY", "currency", err.Error())
	case cur == "" && price != "":
		fault("MISSING_CURRENCY", "currency", "a unit price needs its currency, an ISO 4217 code such as GBP")
	}
	today := s.today()
	last := today.AddMonths(12 * s.horizon)
	switch {
	case n.DeliveryDate.IsZero():
		fault("MISSING_DELIVERY_DATE", "delivery_date", "each line needs a delivery date: the gate checks the product as of that day")
	case n.DeliveryDate.Before(today):
		fault("DELIVERY_IN_THE_PAST", "delivery_date", fmt.Sprintf("the delivery date %s is in the past", n.DeliveryDate))
	case n.DeliveryDate.After(last):
		fault("DELIVERY_TOO_FAR", "delivery_date", fmt.Sprintf("the delivery date %s is more than %d years ahead (the last day accepted is %s)", n.DeliveryDate, s.horizon, last))
	}
	if code != "" {
		return errs.Invalidf(code, "%s", message).WithDetails(fields)
	}
	n.UnitPrice, n.Currency = price, cur
	return nil
}

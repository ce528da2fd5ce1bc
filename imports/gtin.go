package imports

import (
	"strings"

	"github.com/cascade-gate/cascade/catalog"
)

// parseGTIN reads a GTIN as a supplier's spreadsheet holds it and returns
// its 14-digit form. It copes with what spreadsheets do to barcodes: a number
// cell drops leading zeros (zero padding to 14 digits restores them, and does
// not change the check digit) and may show or export the number in
// scientific notation ("4.006381333931E+12"), or with a ".0" fraction.
// Digits lost to scientific notation cannot be recovered; the check digit
// then fails and the hint says why.
func parseGTIN(raw string) (string, *RowError) {
	s := strings.TrimSpace(raw)
	s = gtinNoise.Replace(s)
	scientific := false
	if strings.ContainsAny(s, "eE") {
		d, ok := expandScientific(s)
		if !ok {
			return "", rowErr(CodeInvalidGTIN, "the GTIN %q is not a number", raw)
		}
		s, scientific = d, true
	} else if whole, frac, ok := strings.Cut(s, "."); ok && strings.Trim(frac, "0") == "" {
		s = whole // a number cell exported as 4006381333931.0
	}
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return "", rowErr(CodeInvalidGTIN, "the GTIN %q must contain only digits", raw)
	}
	if len(s) > 14 {
		return "", rowErr(CodeInvalidGTIN, "the GTIN %q has %d digits; a GTIN has 8, 12, 13 or 14", raw, len(s))
	}
	if strings.HasPrefix(s, "0") && !validLength(len(s)) {
		// Leading zeros survived, so this is text as typed: its length must be a GTIN length.
		return "", rowErr(CodeInvalidGTIN, "the GTIN %q has %d digits; a GTIN has 8, 12, 13 or 14", raw, len(s))
	}
	if len(s) < 7 {
		// Even a GTIN-8 that lost its leading zero keeps 7 digits.
		return "", rowErr(CodeInvalidGTIN, "the GTIN %q has only %d digits; a GTIN has 8, 12, 13 or 14", raw, len(s))
	}
	padded := strings.Repeat("0", 14-len(s)) + s
	if strings.Trim(padded, "0") == "" {
		return "", rowErr(CodeInvalidGTIN, "the GTIN %q is all zeros", raw)
	}
	if want := catalog.GTINCheckDigit(padded[:13]); padded[13] != want {
		e := rowErr(CodeInvalidGTIN, "the GTIN %q has check digit %c, but its digits give %c", raw, padded[13], want)
		if scientific {
			e.Hint = "The cell was written in scientific notation and lost digits. Format the GTIN column as Text and type the full barcode."
		}
		return "", e
	}
	return padded, nil
}

// gtinNoise is what people type between a barcode's digits.
var gtinNoise = strings.NewReplacer(" ", "", "-", "")

func validLength(n int) bool { return n == 8 || n == 12 || n == 13 || n == 14 }

// expandScientific turns "4.006381333931E+12" into "4006381333931" without
// going through a float, failing if the value is not a whole number.
func expandScientific(s string) (string, bool) {
	mant, expPart, _ := strings.Cut(strings.ToUpper(s), "E")
	exp := 0
	sign := 1
	expPart = strings.TrimPrefix(expPart, "+")
	if strings.HasPrefix(expPart, "-") {
		sign, expPart = -1, expPart[1:]
	}
	if expPart == "" || len(expPart) > 2 {
		return "", false
	}
	for _, c := range expPart {
		if c < '0' || c > '9' {
			return "", false
		}
		exp = exp*10 + int(c-'0')
	}
	exp *= sign
	whole, frac, _ := strings.Cut(mant, ".")
	digits := whole + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	point := len(whole) + exp
	switch {
	case point < 0:
		return "", false
	case point >= len(digits):
		digits += strings.Repeat("0", point-len(digits))
	default:
		if strings.Trim(digits[point:], "0") != "" {
			return "", false
		}
		digits = digits[:point]
	}
	digits = strings.TrimLeft(digits, "0")
	return digits, digits != ""
}

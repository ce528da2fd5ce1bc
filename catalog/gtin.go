package catalog

import "strings"

// GTINCheckDigit computes the GS1 mod-10 check digit of the first 13 digits
// of a 14-digit GTIN (shorter GTINs are zero-padded on the left, which does
// not change their check digit).
func GTINCheckDigit(first13 string) byte {
	sum := 0
	for i := range len(first13) {
		d := int(first13[i] - '0')
		if i%2 == 0 { // from the right, the digit next to the check digit weighs 3
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// NormaliseGTIN turns a GTIN-8, -12, -13 or -14 typed as digits into its
// 14-digit form, reporting false when it is not one.
func NormaliseGTIN(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 14 || strings.Trim(s, "0123456789") != "" {
		return "", false
	}
	s = strings.Repeat("0", 14-len(s)) + s
	return s, GTINCheckDigit(s[:13]) == s[13]
}

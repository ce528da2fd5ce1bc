package tabular

import "strings"

// SafeText neutralises formula injection in exported text: a supplier's
// value starting with = + - @ (or a tab or carriage return) is prefixed with
// an apostrophe, so a spreadsheet shows it as text instead of running it.
func SafeText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

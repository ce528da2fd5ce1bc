package catalog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// writeModelKey writes a brand or model folded for registry matching
// (SPEC §3): case-folded, without spaces, -, _, . and /.
func writeModelKey(b *strings.Builder, s string) {
	for i, r := range s {
		if r >= utf8.RuneSelf {
			writeModelKeyRunes(b, s[i:])
			return
		}
		// ASCII, byte by byte (most brands and models), as below.
		switch c := byte(r); {
		case c == ' ' || c >= '\t' && c <= '\r' || c == '-' || c == '_' || c == '.' || c == '/':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
}

func writeModelKeyRunes(b *strings.Builder, s string) {
	for _, r := range s {
		if unicode.IsSpace(r) || strings.ContainsRune("-_./", r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
}

// MatchKey is the key that ties a product to registry entries for the same
// brand and model, however each side punctuates them. Every imported row
// computes one, hence one allocation rather than several.
func MatchKey(brand, model string) string {
	var b strings.Builder
	b.Grow(len(brand) + 1 + len(model))
	writeModelKey(&b, brand)
	b.WriteByte('|')
	writeModelKey(&b, model)
	return b.String()
}

// LabelKey normalises a label id for look-up: trimmed and case-folded.
func LabelKey(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

package catalog

import (
	"strings"
	"unicode"
)

// modelKey folds a brand or model for registry matching (SPEC §3):
// case-folded, without spaces, -, _, . and /.
func modelKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || strings.ContainsRune("-_./", r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MatchKey is the key that ties a product to registry entries for the same
// brand and model, however each side punctuates them.
func MatchKey(brand, model string) string { return modelKey(brand) + "|" + modelKey(model) }

// LabelKey normalises a label id for look-up: trimmed and case-folded.
func LabelKey(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

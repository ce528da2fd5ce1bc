package catalog

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatchKeyFoldsCaseSpacesAndPunctuation(t *testing.T) {
	cases := []struct{ brand, model, want string }{
		{"Acme", "AC-CAM 1", "acme|accam1"},
		{" ACME ", "ac_cam.1/", "acme|accam1"},
		{"ÖKO Haus", "X.1/2_b", "ökohaus|x12b"},
		{"Acme\u00a0Ltd", "M\t1", "acmeltd|m1"},
		{"", "", "|"},
	}
	for _, c := range cases {
		if got := MatchKey(c.brand, c.model); got != c.want {
			t.Errorf("MatchKey(%q, %q) = %q, want %q", c.brand, c.model, got, c.want)
		}
	}
}

// The ASCII path of a model key folds every ASCII character as the path
// for other text does.
func TestTheASCIIModelKeyFoldsAsTheRunes(t *testing.T) {
	for c := range utf8.RuneSelf {
		s := "A" + string(rune(c)) + "z"
		var ascii, runes strings.Builder
		writeModelKey(&ascii, s)
		writeModelKeyRunes(&runes, s)
		if ascii.String() != runes.String() {
			t.Errorf("%q: %q, the runes' way %q", s, ascii.String(), runes.String())
		}
	}
	if got := MatchKey("Acme", "AC-1 Ü/x"); got != "acme|ac1üx" {
		t.Errorf("mixed text: %q", got)
	}
}

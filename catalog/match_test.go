package catalog

import "testing"

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

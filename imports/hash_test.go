package imports

import (
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/civil"
)

// The content hash is stored with every product: if it changed between
// versions, re-uploading an unchanged file would rewrite every product.
func TestContentHashIsStableAcrossVersions(t *testing.T) {
	cases := []struct {
		name string
		p    product
		want string
	}{
		{"every field and two labels", product{SKU: "CAM-1", GTIN: "05012345678900", Brand: "Acme", Model: "C1", Name: "Camera",
			Category: "smart_camera", Markets: []string{"UK", "EU"}, PasswordModel: "unique_per_device",
			Contact: "https://acme.example/security", SupportEnd: civil.Date{Year: 2029, Month: 6, Day: 30}, Statement: "included",
			CE: "yes", Price: "49.99", Currency: "GBP", Extra: `{"colour":"white"}`,
			Labels: []label{{Scheme: "SG-CLS", ID: "CSA/300629/00001"}, {Scheme: "DE-BSI", ID: "BSI-IT-1"}}},
			"9097efb6dc87cb9af6813b48095c2b6e9f2a454dfd0610574f2e68745f9c731b"},
		{"nothing", product{}, "c077368fe401a47f2c1cf7777afb55cce5b9de65392d682af55035ed1aaf89e3"},
	}
	for _, c := range cases {
		if got := c.p.contentHash(); got != c.want {
			t.Errorf("%s: hash %s, want %s", c.name, got, c.want)
		}
	}
}

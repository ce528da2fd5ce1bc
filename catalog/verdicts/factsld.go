package verdicts

import (
	"strconv"
	"strings"
)

// ProductLD is a card as JSON-LD: a schema.org Product whose
// additionalProperty values are the card's lines (schema.org PropertyValue),
// so a retailer's product page can embed it for shoppers and search engines.
type ProductLD struct {
	Context            string            `json:"@context"`
	Type               string            `json:"@type"`
	Name               string            `json:"name"`
	GTIN14             string            `json:"gtin14"`
	Model              string            `json:"model"`
	Brand              BrandLD           `json:"brand"`
	AdditionalProperty []PropertyValueLD `json:"additionalProperty"`
}

// BrandLD is a schema.org Brand.
type BrandLD struct {
	Type string `json:"@type"`
	Name string `json:"name"`
}

// PropertyValueLD is a schema.org PropertyValue: the line's key as
// propertyID, its label as name, what it says as value, and the outcomes
// it evidences as description.
type PropertyValueLD struct {
	Type        string `json:"@type"`
	PropertyID  string `json:"propertyID"`
	Name        string `json:"name"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
}

// JSONLD gives the card as a schema.org Product.
func (c Card) JSONLD() ProductLD {
	name := c.Name
	if name == "" {
		name = c.Brand + " " + c.Model
	}
	ld := ProductLD{Context: "https://schema.org", Type: "Product", Name: name, GTIN14: c.GTIN, Model: c.Model,
		Brand: BrandLD{Type: "Brand", Name: c.Brand}}
	prop := func(id, name, value, desc string) {
		ld.AdditionalProperty = append(ld.AdditionalProperty, PropertyValueLD{Type: "PropertyValue", PropertyID: "cascade:" + id, Name: name, Value: value, Description: desc})
	}
	prop("market", "Market", c.Market, "")
	prop("verdict", "Cascade verdict (retail)", c.Verdict, "")
	prop("tier", "Security tier (common 1-4 scale)", strconv.Itoa(c.Tier), "0: no recognised label")
	for _, l := range c.Lines {
		var ev []string
		if len(l.ETSI) > 0 {
			ev = append(ev, "ETSI EN 303 645 "+strings.Join(l.ETSI, ", "))
		}
		if len(l.NISTIR) > 0 {
			ev = append(ev, "NISTIR 8425 "+strings.Join(l.NISTIR, ", "))
		}
		desc := ""
		if len(ev) > 0 {
			desc = "evidences " + strings.Join(ev, "; ")
		}
		prop(l.Key, l.Label, l.Value, desc)
	}
	return ld
}

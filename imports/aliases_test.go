package imports

import (
	"strings"
	"testing"
)

func TestTheShippedAliasesReadGermanFrenchAndSpanishHeaderRows(t *testing.T) {
	cases := []struct {
		language string
		headers  []string
		want     map[string]string // header -> column
	}{
		{"German", []string{"Artikelnummer", "EAN-Code", "Marke", "Modell", "Bezeichnung", "Kategorie", "Märkte", "Passwortmodell", "Sicherheitskontakt", "Sicherheitsupdates bis", "Konformitätserklärung", "CE-Kennzeichnung", "Preis", "Währung"},
			map[string]string{"Artikelnummer": "sku", "EAN-Code": "gtin", "Märkte": "markets", "Sicherheitsupdates bis": "support_end", "Währung": "currency"}},
		{"French", []string{"Référence", "Code-barres", "Marque", "Modèle", "Désignation", "Catégorie", "Marchés", "Modèle de mot de passe", "Contact sécurité", "Fin du support", "Déclaration de conformité", "Marquage CE", "Prix", "Devise"},
			map[string]string{"Référence": "sku", "Modèle": "model", "Modèle de mot de passe": "password_model", "Fin du support": "support_end", "Marquage CE": "ce_marking"}},
		{"Spanish", []string{"Referencia", "Código de barras", "Marca", "Modelo", "Nombre", "Categoría", "Mercados", "Modelo de contraseña", "Contacto de seguridad", "Actualizaciones de seguridad hasta", "Declaración de conformidad", "Marcado CE", "Precio", "Moneda"},
			map[string]string{"Referencia": "sku", "Código de barras": "gtin", "Actualizaciones de seguridad hasta": "support_end", "Moneda": "currency"}},
		{"English of the spec", []string{"Article Number", "barcode", "brand", "Model Number", "title", "category", "markets", "Security Contact", "support-period-end"},
			map[string]string{"Article Number": "sku", "Model Number": "model", "Security Contact": "vuln_report_contact", "support-period-end": "support_end"}},
	}
	for _, c := range cases {
		t.Run(c.language, func(t *testing.T) {
			l, err := findLayout(1, c.headers)
			if err != nil || l == nil {
				t.Fatalf("layout %v, err %v", l, err)
			}
			if len(l.extra) != 0 {
				t.Errorf("headers not understood: %v", l.unknownColumns())
			}
			for h, col := range c.want {
				if got := l.header(colIndex(col)); got != h {
					t.Errorf("%s is read from %q, want %q", col, got, h)
				}
			}
		})
	}
}

func TestAnAliasesFileWithAnAmbiguousAliasOrAnUnknownColumnIsRefused(t *testing.T) {
	cases := map[string]struct{ file, want string }{
		"alias of two columns":   {`{"sku":{"de":["Nummer"]},"model":{"de":["nummer"]}}`, `"nummer" would mean both sku and model`},
		"alias of a column name": {`{"brand":{"en":["model"]}}`, `would mean both model and brand`},
		"unknown column":         {`{"colour":{"de":["Farbe"]}}`, `"colour" is not a column`},
		"empty alias":            {`{"sku":{"de":[" - "]}}`, "an empty alias for sku"},
		"not JSON":               {`{"sku":`, "aliases:"},
	}
	for name, c := range cases {
		_, _, err := loadAliases([]byte(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

func TestASavedMappingComesBeforeTheDefaultsAndIsRecordedOnTheLayout(t *testing.T) {
	mapping := map[string]int{headerKey("Unsere Nr."): colSKU, headerKey("Updates garantiert bis"): colSupportEnd, headerKey("EAN"): colName}
	l, err := findMappedLayout(2, []string{"Unsere Nr.", "GTIN", "brand", "model", "category", "markets", "updates garantiert bis", "EAN"}, mapping)
	if err != nil {
		t.Fatal(err)
	}
	if l.header(colSKU) != "Unsere Nr." || l.header(colSupportEnd) != "updates garantiert bis" || l.header(colName) != "EAN" || l.header(colGTIN) != "GTIN" {
		t.Errorf("layout %+v", l)
	}
	want := Mapping{"Unsere Nr.": "sku", "updates garantiert bis": "support_end", "EAN": "name"}
	if len(l.Mapped) != len(want) {
		t.Fatalf("mapped %v, want %v", l.Mapped, want)
	}
	for h, c := range want {
		if l.Mapped[h] != c {
			t.Errorf("mapped %v, want %v", l.Mapped, want)
		}
	}
	// Without the mapping that header row has no sku: refused as before.
	if _, err := findLayout(2, []string{"Unsere Nr.", "GTIN", "brand", "model", "category", "markets"}); err == nil || !strings.Contains(err.Error(), "sku") {
		t.Errorf("err = %v", err)
	}
}

package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// factsFragment serves a product's security facts card as an HTML fragment
// page a retailer's product page can embed (an iframe).
func (s *Server) factsFragment(c *gin.Context) error {
	card, err := s.verdicts.Facts(c.Request.Context(), c.Param("gtin"), c.Query("market"))
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "Security facts", &factsView{C: card})
}

// factsView is one card.
type factsView struct {
	pageData
	C verdicts.Card
}

func (*factsView) template() string { return "facts.html" }

// factsLD serves the card as JSON-LD, a schema.org Product.
func (s *Server) factsLD(c *gin.Context) error {
	card, err := s.verdicts.Facts(c.Request.Context(), c.Query("gtin"), c.Query("market"))
	if err != nil {
		return err
	}
	b, err := json.Marshal(card.JSONLD())
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "application/ld+json", b)
	return nil
}

// factsBadge serves the card's tier as an SVG badge.
func (s *Server) factsBadge(c *gin.Context) error {
	card, err := s.verdicts.Facts(c.Request.Context(), c.Param("gtin"), c.Query("market"))
	if err != nil {
		return err
	}
	text, colour := "no security label", "#6b7785"
	switch {
	case card.Blocked():
		text, colour = "blocked", "#b42318"
	case card.Tier > 0:
		text, colour = fmt.Sprintf("tier %d of 4", card.Tier), []string{"", "#8a6d00", "#2e7d32", "#1b5e20", "#0b3d1f"}[card.Tier]
	}
	label := "security " + card.Market
	lw, tw := 8*len(label)+12, 8*len(text)+12
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="22" role="img" aria-label="%s: %s"><title>%s: %s</title>`+
		`<rect width="%d" height="22" fill="#14202b"/><rect x="%d" width="%d" height="22" fill="%s"/>`+
		`<g fill="#fff" font-family="system-ui,sans-serif" font-size="12"><text x="6" y="15">%s</text><text x="%d" y="15">%s</text></g></svg>`,
		lw+tw, html.EscapeString(label), html.EscapeString(text), html.EscapeString(label), html.EscapeString(text),
		lw, lw, tw, colour, html.EscapeString(label), lw+6, html.EscapeString(text))
	c.Header("Cache-Control", "private, max-age=300")
	c.Data(http.StatusOK, "image/svg+xml", []byte(svg))
	return nil
}

package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/verdicts"
)

// Security facts: who reads which card is the domain's rule
// (verdicts.Service.Facts, with the deployment's public cards setting);
// these handlers only say how an answer may be cached and embedded.

// publicFactsMaxAge is how long a shared cache may keep a public card: a
// product blocked since (a recall) leaves caches within it.
const publicFactsMaxAge = 300

// factsPart is what a facts answer is, for the headers it gets.
type factsPart int

const (
	factsFragment factsPart = iota // an HTML document for an iframe
	factsBadge                     // an SVG for an img
	factsLD                        // JSON-LD for a script or a crawler
)

// factsHeaders sets how a facts answer may be cached and embedded. A public
// card (card.Public) is the same for everyone: shared caches may keep it for
// five minutes and any site may embed it (frame the fragment, show the
// badge, fetch the JSON-LD). Anything else, a signed-in user's card or any
// refusal, is stored by no cache and framed by no other site. Answers vary
// with the credentials either way.
func factsHeaders(c *gin.Context, card verdicts.Card, err error, part factsPart) {
	hd := c.Writer.Header()
	hd.Set("Vary", "Cookie, Authorization")
	if err != nil || !card.Public {
		hd.Set("Cache-Control", "private, no-store")
		return
	}
	hd.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", publicFactsMaxAge))
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	switch part {
	case factsFragment:
		hd.Del("X-Frame-Options")
		hd.Set("Content-Security-Policy", contentSecurityPolicy("*"))
	case factsLD:
		hd.Set("Access-Control-Allow-Origin", "*")
	}
}

// factsCard asks the domain for the card of gtin in ?market= and sets the
// headers its answer gets.
func (s *Server) factsCard(c *gin.Context, gtin string, part factsPart) (verdicts.Card, error) {
	ctx := c.Request.Context()
	card, err := s.verdicts.Facts(ctx, gtin, c.Query("market"))
	factsHeaders(c, card, err, part)
	if _, noPrincipal := access.From(ctx); noPrincipal != nil && s.publicFacts && part == factsLD {
		// A script on a retailer's page asks without credentials: it may read
		// the refusal too, which says no more than it says anyone.
		c.Header("Access-Control-Allow-Origin", "*")
	}
	return card, err
}

// pageFacts is factsCard for the pages: a visitor who must sign in to read
// cards (public cards off) is sent to sign in, as on every other page.
func (s *Server) pageFacts(c *gin.Context, part factsPart) (verdicts.Card, bool, error) {
	card, err := s.factsCard(c, c.Param("gtin"), part)
	if errs.KindOf(err) == errs.Unauthenticated {
		redirectToLogin(c)
		return card, false, nil
	}
	return card, err == nil, err
}

// factsFragment serves a product's security facts card as an HTML fragment
// page a retailer's product page can embed (an iframe).
func (s *Server) factsFragment(c *gin.Context) error {
	card, ok, err := s.pageFacts(c, factsFragment)
	if !ok {
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
	card, err := s.factsCard(c, c.Query("gtin"), factsLD)
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
	card, ok, err := s.pageFacts(c, factsBadge)
	if !ok {
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
	c.Data(http.StatusOK, "image/svg+xml", []byte(svg))
	return nil
}

// SetPublicFacts is the deployment's public cards setting (cascade serve
// --public-facts): on, anyone may read the security facts of the products
// the gate allows (verdicts.Service.Facts). Call it before serving.
func (s *Server) SetPublicFacts(on bool) {
	s.publicFacts = on
	s.verdicts = s.verdicts.WithPublicFacts(on)
}

// SetPublicURL is the server's URL as people reach it: the listing feed's
// facts_url is absolute under it. Call it before serving.
func (s *Server) SetPublicURL(base string) {
	s.verdicts = s.verdicts.WithPublicURL(base)
}

package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// schemaOrgProperties reads the property names of each schema.org type in
// testdata (every type also has Thing's).
func schemaOrgProperties(t *testing.T) map[string]map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/schemaorg-properties.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		out[fields[0]] = map[string]bool{}
		for _, p := range fields[1:] {
			out[fields[0]][p] = true
		}
	}
	return out
}

// checkLD walks a JSON-LD node: every key but @context and @type must be a
// property of its @type (or of Thing), and every nested node too.
func checkLD(t *testing.T, vocab map[string]map[string]bool, path string, node map[string]any) {
	t.Helper()
	typ, _ := node["@type"].(string)
	props, ok := vocab[typ]
	if !ok {
		t.Errorf("%s: @type %q is not one the test knows", path, typ)
		return
	}
	for k, v := range node {
		if k == "@context" || k == "@type" {
			continue
		}
		if !props[k] && !vocab["Thing"][k] {
			t.Errorf("%s: %q is not a schema.org property of %s", path, k, typ)
		}
		switch v := v.(type) {
		case map[string]any:
			checkLD(t, vocab, path+"."+k, v)
		case []any:
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					checkLD(t, vocab, path+"."+k+"[]", m)
				}
			}
		}
	}
}

// TestSecurityFactsJSONLDIsASchemaOrgProduct: the demo camera's UK card as
// JSON-LD uses only schema.org property names, carries every line with the
// outcomes it evidences, and a blocked product's card says blocked.
func TestSecurityFactsJSONLDIsASchemaOrgProduct(t *testing.T) {
	url, pw := demoServer(t)
	manager := signedInClient(t, url, "manager@demo.cascade.test", pw["manager@demo.cascade.test"])
	resp, err := manager.Get(url + "/api/v1/facts?gtin=4006381333931&market=UK")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/ld+json" {
		t.Errorf("Content-Type %q", ct)
	}
	var ld map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&ld); err != nil {
		t.Fatal(err)
	}
	if ld["@context"] != "https://schema.org" || ld["@type"] != "Product" || ld["gtin14"] != "04006381333931" {
		t.Fatalf("not a schema.org Product: %v", ld)
	}
	checkLD(t, schemaOrgProperties(t), "Product", ld)
	props := map[string]map[string]any{}
	for _, p := range ld["additionalProperty"].([]any) {
		m := p.(map[string]any)
		props[m["propertyID"].(string)] = m
	}
	for id, want := range map[string][]string{
		"cascade:support":               {"2030-06-30 (ends in ", "ETSI EN 303 645 5.3-13", "NISTIR 8425 Software Update"},
		"cascade:passwords":             {"Every device has its own password.", "5.1-1", "Interface Access Control"},
		"cascade:vulnerability_reports": {"https://acme.example/security", "5.2-1", "Information and Query Reception"},
		"cascade:labels":                {"SG-CLS level 2 (tier 2 of 4)", "Documentation"},
		"cascade:recalls":               {"none known", "Information Dissemination"},
		"cascade:law":                   {"meets UK Product Security and Telecommunications Infrastructure Act 2022"},
		"cascade:verdict":               {"allowed"},
		"cascade:tier":                  {"2"},
	} {
		p := props[id]
		text := ""
		if p != nil {
			text, _ = p["value"].(string)
			d, _ := p["description"].(string)
			text += " | " + d
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q: %q", id, w, text)
			}
		}
	}
	blocked := get(t, manager, url+"/api/v1/facts?gtin=4006381333962&market=US")
	if !strings.Contains(blocked, `"value":"blocked"`) || !strings.Contains(blocked, "US-CPSC S27006") {
		t.Errorf("the recalled hub's US card is blocked and names the recall: %s", blocked)
	}
	if badge := get(t, manager, url+"/facts/4006381333931/badge.svg?market=UK"); !strings.Contains(badge, "tier 2 of 4") || !strings.HasPrefix(badge, "<svg") {
		t.Errorf("badge: %s", badge)
	}
	if badge := get(t, manager, url+"/facts/4006381333962/badge.svg?market=US"); !strings.Contains(badge, ">blocked<") {
		t.Errorf("a blocked product's badge says blocked: %s", badge)
	}
}

// TestBrowserSecurityFactsCardFitsPhonesAndDesktops: the card renders at
// 375 and 1440 px with every line, without scrolling sideways; a blocked
// product's card is marked blocked.
func TestBrowserSecurityFactsCardFitsPhonesAndDesktops(t *testing.T) {
	chromium(t)
	url, pw := demoServer(t)
	for _, width := range []int{375, 1440} {
		b := newBrowserOn(t, url, width, 900)
		b.run(
			chromedp.Navigate(b.url+"/login"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), "manager@demo.cascade.test"),
			chromedp.SendKeys(chromedp.ID("password"), pw["manager@demo.cascade.test"]),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("header.top nav")),
			chromedp.Navigate(b.url+"/facts/4006381333931?market=UK"),
			chromedp.WaitVisible(chromedp.CSS("section.cascade-facts dl")),
		)
		text := b.text("section.cascade-facts")
		for _, want := range []string{"Security facts", "Tier 2/4", "Security updates until", "2030-06-30 (ends in", "Passwords", "Report a security problem",
			"Security labels", "SG-CLS level 2 (tier 2 of 4)", "Recalls", "Baseline law", "ETSI EN 303 645 5.1-1", "NISTIR 8425"} {
			if !strings.Contains(text, want) {
				t.Errorf("at %d px the card lacks %q: %s", width, want, text)
			}
		}
		if overflow := value(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); overflow {
			t.Errorf("at %d px the card scrolls sideways", width)
		}
		// Its stylesheet applies (the CSP refuses inline style, so it is a file of its own).
		if border := value(b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('section.cascade-facts')).borderTopWidth`)); border != "2px" {
			t.Errorf("at %d px the card is unstyled: border %q", width, border)
		}
		if width == 375 {
			b.screenshot("security-facts-phone")
		} else {
			b.screenshot("security-facts")
		}
		b.run(chromedp.Navigate(b.url+"/facts/4006381333962?market=US"), chromedp.WaitVisible(chromedp.CSS("section.cascade-facts .blocked")))
		if text := b.text("section.cascade-facts"); !strings.Contains(text, "Blocked: this product may not be sold in US") || !strings.Contains(text, "US-CPSC S27006") {
			t.Errorf("at %d px a blocked card: %s", width, text)
		}
	}
}

// TestOnlyPublicCardsAreSharedCachedAndEmbeddable: with public cards on, an
// anonymous visitor's allowed card may be kept by shared caches for five
// minutes and embedded by any site (the fragment framed, the badge shown
// cross-origin, the JSON-LD fetched with CORS); a signed-in user's card and
// every refusal are stored by no cache and framed by no other site; a
// script may read the JSON-LD's refusal, which tells it nothing.
func TestOnlyPublicCardsAreSharedCachedAndEmbeddable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		w.allowedProduct(t)
		private := w.srv
		public := web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		public.SetPublicFacts(true)
		sessions := map[string]*webSession{}
		const blockedGTIN = "00012345600012"
		type want struct {
			status                   int
			cache, frame, cors, corp string // Cache-Control; frame-ancestors; Access-Control-Allow-Origin; Cross-Origin-Resource-Policy
		}
		shared := "public, max-age=300"
		none := "private, no-store"
		cases := []struct {
			name string
			srv  *web.Server
			role string
			path string
			page bool
			want want
		}{
			{"public card, fragment", public, "", "/facts/" + allowedGTIN + "?market=UK", true, want{ok, shared, "*", "", "cross-origin"}},
			{"public card, badge (an img: not framed)", public, "", "/facts/" + allowedGTIN + "/badge.svg?market=UK", true, want{ok, shared, "'none'", "", "cross-origin"}},
			{"public card, JSON-LD", public, "", "/api/v1/facts?gtin=" + allowedGTIN + "&market=UK", false, want{ok, shared, "'none'", "*", "cross-origin"}},
			{"blocked, anonymous, fragment", public, "", "/facts/" + blockedGTIN + "?market=UK", true, want{notFound, none, "'none'", "", ""}},
			{"blocked, anonymous, JSON-LD", public, "", "/api/v1/facts?gtin=" + blockedGTIN + "&market=UK", false, want{notFound, none, "'none'", "*", ""}},
			{"signed in, public cards on", public, "category_manager", "/facts/" + allowedGTIN + "?market=UK", true, want{ok, none, "'none'", "", ""}},
			{"signed in, JSON-LD, public cards on", public, "category_manager", "/api/v1/facts?gtin=" + allowedGTIN + "&market=UK", false, want{ok, none, "'none'", "", ""}},
			{"signed in, blocked", public, "category_manager", "/facts/" + blockedGTIN + "/badge.svg?market=UK", true, want{ok, none, "'none'", "", ""}},
			{"cards private, anonymous JSON-LD", private, "", "/api/v1/facts?gtin=" + allowedGTIN + "&market=UK", false, want{unauth, none, "'none'", "", ""}},
			{"cards private, signed in", private, "category_manager", "/facts/" + allowedGTIN + "?market=UK", true, want{ok, none, "'none'", "", ""}},
		}
		for _, c := range cases {
			w.srv = c.srv
			var rec *httptest.ResponseRecorder
			if c.page {
				rec = w.pageRequest(sessions, c.role, "GET", c.path, nil)
			} else {
				rec = w.request(c.role, "GET", c.path, nil)
			}
			h := rec.Header()
			frame := ""
			if _, after, found := strings.Cut(h.Get("Content-Security-Policy"), "frame-ancestors "); found {
				frame, _, _ = strings.Cut(after, ";")
			}
			got := want{rec.Code, h.Get("Cache-Control"), frame, h.Get("Access-Control-Allow-Origin"), h.Get("Cross-Origin-Resource-Policy")}
			if got != c.want {
				t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
			}
			if xfo := h.Get("X-Frame-Options"); (c.want.frame == "*") != (xfo == "") {
				t.Errorf("%s: X-Frame-Options %q", c.name, xfo)
			}
			if v := h.Get("Vary"); !strings.Contains(v, "Cookie") || !strings.Contains(v, "Authorization") {
				t.Errorf("%s: Vary %q", c.name, v)
			}
		}
		w.srv = private
	})
}

// TestBrowserARetailersPageEmbedsAPublicCard: with public cards on, a shop's
// page on another origin frames the card of an allowed product, shows its
// badge and reads its JSON-LD with fetch, nobody signed in; a blocked
// product's JSON-LD is a 404 the script can read.
func TestBrowserARetailersPageEmbedsAPublicCard(t *testing.T) {
	chromium(t)
	cascade, _ := demoServerWith(t, func(s *web.Server) { s.SetPublicFacts(true) })
	page := strings.ReplaceAll(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A shop</title></head><body>
<h1>Acme indoor camera</h1><p>£79.99</p>
<img id="badge" src="CASCADE/facts/04006381333931/badge.svg?market=UK" alt="Security tier">
<p id="ld">waiting</p><p id="blocked">waiting</p>
<iframe id="card" src="CASCADE/facts/04006381333931?market=UK" width="360" height="620" title="Security facts"></iframe>
<script>
const say = (id, text) => { document.getElementById(id).textContent = text; };
fetch("CASCADE/api/v1/facts?gtin=04006381333931&market=UK").then(r => r.json()).then(j => say("ld", j.name + " " + j.gtin14)).catch(e => say("ld", "error " + e));
fetch("CASCADE/api/v1/facts?gtin=04006381333962&market=US").then(r => say("blocked", "status " + r.status)).catch(e => say("blocked", "error " + e));
</script></body></html>`, "CASCADE", cascade)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	t.Cleanup(shop.Close)

	b := newBrowserOn(t, cascade, 1024, 900)
	b.run(chromedp.Navigate(shop.URL), chromedp.WaitVisible(chromedp.ID("card")))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (b.text("#ld") == "waiting" || b.text("#blocked") == "waiting" ||
		!value(b, chromedp.Evaluate[bool](`document.getElementById("badge").complete`))) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := b.text("#ld"); got != "Acme indoor camera 04006381333931" {
		t.Errorf("the shop's script read the JSON-LD as %q", got)
	}
	if got := b.text("#blocked"); got != "status 404" {
		t.Errorf("a blocked product's JSON-LD: %q", got)
	}
	if w := value(b, chromedp.Evaluate[int](`document.getElementById("badge").naturalWidth`)); w == 0 {
		t.Error("the badge did not load on the shop's page")
	}
	frame := value(b, chromedp.Nodes(chromedp.ID("card")))
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("section.cascade-facts"), chromedp.FromNode(frame[0])))
	if err != nil {
		t.Fatalf("the framed card did not show: %v", err)
	}
	for _, want := range []string{"Security facts", "Tier 2/4", "Security updates until", "meets UK"} {
		if !strings.Contains(text, want) {
			t.Errorf("the framed card lacks %q: %s", want, text)
		}
	}
	b.screenshot("security-facts-embedded")
}

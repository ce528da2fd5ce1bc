package web_test

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
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

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cascade-gate/cascade/app/demo"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// demoServer serves the demo data (with its sample recall lists) and
// returns the URL and each demo login's password.
func demoServer(t *testing.T) (string, map[string]string) {
	t.Helper()
	return demoServerWith(t, func(*web.Server) {})
}

// demoServerWith is demoServer with the server set up by setup first.
func demoServerWith(t *testing.T, setup func(*web.Server)) (string, map[string]string) {
	t.Helper()
	db := dbtest.SQLite(t)
	logins, err := demo.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	s := web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	setup(s)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	pw := map[string]string{}
	for _, l := range logins {
		pw[l.Email] = l.Password
	}
	return srv.URL, pw
}

// signedInClient signs in through the API and keeps the session cookie.
func signedInClient(t *testing.T, url, email, pw string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	resp, err := c.Post(url+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in as %s: %v %v", email, err, resp)
	}
	resp.Body.Close()
	return c
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestTheGateTheSupplierAndTheListNameTheDemoRecall: the demo's sample CPSC
// list recalls Northwind's smart hub (NW-200, offered in the US); the gate
// blocks it in the US with RECALLED naming the recall (authority, number,
// date, hazard, URL), leaves it allowed in the EU, the supplier's product
// list names the recall, and GET /api/v1/recalls shows both sample lists.
func TestTheGateTheSupplierAndTheListNameTheDemoRecall(t *testing.T) {
	url, pw := demoServer(t)
	manager := signedInClient(t, url, "manager@demo.cascade.test", pw["manager@demo.cascade.test"])
	var gate struct {
		Verdict string `json:"verdict"`
		Reasons []struct {
			Code    string `json:"code"`
			Recalls []struct {
				Authority    string `json:"authority"`
				RecallNumber string `json:"recall_number"`
				Date         string `json:"date"`
				Hazard       string `json:"hazard"`
				URL          string `json:"url"`
				Match        string `json:"match"`
			} `json:"recalls"`
		} `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(get(t, manager, url+"/api/v1/gate?gtin=4006381333962&market=US&channel=retail")), &gate); err != nil {
		t.Fatal(err)
	}
	named := false
	for _, r := range gate.Reasons {
		for _, c := range r.Recalls {
			named = named || (r.Code == "RECALLED" && c.Authority == "US-CPSC" && c.RecallNumber == "S27006" && c.Date == "2026-11-28" &&
				strings.Contains(c.Hazard, "shock hazard") && strings.HasPrefix(c.URL, "https://www.cpsc.gov.invalid/") && c.Match == "confirmed")
		}
	}
	if gate.Verdict != "blocked" || !named {
		t.Errorf("the US gate should block NW-200 naming the CPSC recall: %+v", gate)
	}
	if eu := get(t, manager, url+"/api/v1/gate?gtin=4006381333962&market=EU&channel=retail"); strings.Contains(eu, "RECALLED") {
		t.Errorf("a CPSC recall applies to the US only: %s", eu)
	}
	lists := get(t, manager, url+"/api/v1/recalls")
	for _, want := range []string{`"code":"US-CPSC"`, `"code":"EU-SAFETY-GATE"`, `"entry_count":6`, `"sample":true`, `"kind":"recalls"`} {
		if !strings.Contains(lists, want) {
			t.Errorf("GET /api/v1/recalls lacks %s: %s", want, lists)
		}
	}
	if schemes := get(t, manager, url+"/api/v1/schemes"); strings.Contains(schemes, "US-CPSC") {
		t.Errorf("a recall list is not a label scheme: %s", schemes)
	}
	supplier := signedInClient(t, url, "supplier@northwind.demo.cascade.test", pw["supplier@northwind.demo.cascade.test"])
	if page := get(t, supplier, url+"/supplier/products"); !strings.Contains(page, "US-CPSC S27006, 2026-11-28: The hub&#39;s power adapter can crack") {
		t.Errorf("the supplier's products page does not name the recall")
	}
}

// TestBrowserProductPageNamesTheRecall: a category manager opens the
// recalled product and reads the recall in its US verdicts, at phone and
// desktop widths.
func TestBrowserProductPageNamesTheRecall(t *testing.T) {
	chromium(t)
	url, pw := demoServer(t)
	manager := signedInClient(t, url, "manager@demo.cascade.test", pw["manager@demo.cascade.test"])
	var found struct {
		Products []int64 `json:"product_ids"`
	}
	if err := json.Unmarshal([]byte(get(t, manager, url+"/api/v1/gate?gtin=4006381333962&market=US&channel=retail")), &found); err != nil || len(found.Products) != 1 {
		t.Fatalf("%v %+v", err, found)
	}
	for _, width := range []int{375, 1440} {
		b := newBrowserOn(t, url, width, 900)
		b.run(
			chromedp.Navigate(b.url+"/login"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), "manager@demo.cascade.test"),
			chromedp.SendKeys(chromedp.ID("password"), pw["manager@demo.cascade.test"]),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("header.top nav")),
			chromedp.Navigate(b.url+"/products/"+itoa(found.Products[0])),
			chromedp.WaitVisible(chromedp.CSS("main h3")),
		)
		text := b.text("main")
		for _, want := range []string{"RECALLED", "Recalls", "US-CPSC S27006", "SAMPLE: Northwind Smart Hubs Recalled Due to Shock Hazard", "(sample list)",
			"https://www.cpsc.gov.invalid/Recalls/2027/sample-northwind-smart-hubs"} {
			if !strings.Contains(text, want) {
				t.Errorf("at %d px the product page lacks %q", width, want)
			}
		}
		if width == 1440 {
			b.screenshot("manager-product-recalled")
		} else {
			b.screenshot("manager-product-recalled-phone")
		}
	}
}

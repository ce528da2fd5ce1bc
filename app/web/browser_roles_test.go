package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/demo"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/procurement"
)

// demoSite is a server on the demo data (names, prices, two currencies)
// and its logins.
type demoSite struct {
	db  *gorm.DB
	url string
	pw  map[string]string // e-mail -> password
}

func newDemoSite(t *testing.T) *demoSite {
	t.Helper()
	chromium(t)
	db := dbtest.SQLite(t)
	logins, err := demo.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	srv := web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(func() { srv.Drain(context.Background()) })
	d := &demoSite{db: db, url: hs.URL, pw: map[string]string{}}
	for _, l := range logins {
		d.pw[l.Email] = l.Password
	}
	return d
}

// as is the demo user's context, for setting the scene in the domain.
func (d *demoSite) as(t *testing.T, email string) context.Context {
	t.Helper()
	var u struct {
		ID           int64
		Role         string
		Organisation string
	}
	if err := d.db.Raw("SELECT id, role, organisation FROM users WHERE email = ?", email).Scan(&u).Error; err != nil || u.ID == 0 {
		t.Fatalf("demo user %s: %v", email, err)
	}
	return access.With(context.Background(), access.Principal{UserID: u.ID, Email: email, Role: access.Role(u.Role), Organisation: u.Organisation})
}

// open starts a browser at width on the site, signed in as email.
func (d *demoSite) open(t *testing.T, width int, email string) *browserSession {
	t.Helper()
	b := newBrowserOn(t, d.url, width, 900)
	b.run(
		chromedp.Navigate(b.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), d.pw[email]),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header.top nav")),
	)
	return b
}

// shot names a screenshot by width: the desktop one plainly, the phone one with -phone.
func shot(name string, width int) string {
	if width < 600 {
		return name + "-phone"
	}
	return name
}

// fits fails the test when the page is wider than the screen.
func (b *browserSession) fits(where string, width int) {
	b.t.Helper()
	if !value(b, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")) {
		b.t.Errorf("%s at %d px is wider than the screen", where, width)
	}
}

// A buyer shops: finds products in the catalogue by name, adds them to a
// draft order at their price, sees the value per currency (GBP and EUR
// never added), is told in an alert that a blocked line stops the order,
// asks for a waiver (a too-long expiry comes back next to its field, the
// justification kept) and lands back on the order, whose line now shows
// the pending request.
func TestBrowserBuyerShopsTheCatalogueIntoAnOrderAndRequestsAWaiver(t *testing.T) {
	for _, width := range []int{1440, 375} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			d := newDemoSite(t)
			b := d.open(t, width, "buyer@demo.cascade.test")
			delivery := time.Now().AddDate(0, 2, 0).Format("2006-01-02")
			b.run(chromedp.SendKeys(chromedp.ID("reference"), "PO-2027-031"))
			b.clickNav("main form button[type=submit]")
			b.clickNav("#shop-catalogue")

			add := func(query string, quantity string) {
				t.Helper()
				b.run(chromedp.SetValue(chromedp.ID("q"), query), chromedp.SetAttributeValue(chromedp.ID("all"), "checked", "checked"))
				b.clickNav("form[role=search] button[type=submit]")
				if rows := b.text("#catalogue tbody"); !strings.Contains(strings.ToLower(rows), strings.ToLower(query)) {
					t.Fatalf("searching %q: %s", query, rows)
				}
				if query == "indoor camera" {
					b.screenshot(shot("buyer-catalogue", width))
				}
				b.clickNav("#catalogue a.add-to-order")
				b.run(chromedp.WaitVisible(chromedp.ID("quantity")), chromedp.SetValue(chromedp.ID("quantity"), quantity), chromedp.SetValue(chromedp.ID("delivery_date"), delivery))
				b.clickNav("form[action$='/lines'] button")
			}
			add("indoor camera", "3")
			if lines := b.text("#lines"); !strings.Contains(lines, "79.99 GBP") || !strings.Contains(lines, "239.97 GBP") {
				t.Fatalf("the line has no price or total: %s", lines)
			}
			b.clickNav("#shop-catalogue")
			add("doorbell", "2")
			totals := b.text("#totals")
			if !strings.Contains(totals, "239.97 GBP") || !strings.Contains(totals, "298.00 EUR") || strings.Contains(totals, "537.97") {
				t.Fatalf("the totals per currency: %s", totals)
			}
			b.clickNav("#submit-order")
			if alert := b.text(`p.flash.error[role="alert"]`); !strings.Contains(alert, "not moved") || b.text("#order-status") != "draft" {
				t.Fatalf("a blocked order's banner: %s", alert)
			}
			b.screenshot(shot("buyer-order-blocked", width))
			b.fits("the blocked order", width)

			b.clickNav("#lines a.request-waiver")
			justification := "The library's door entry needs this model: no labelled doorbell fits the existing wiring."
			b.run(
				chromedp.WaitVisible(chromedp.ID("w-justification")),
				chromedp.SendKeys(chromedp.ID("w-justification"), justification),
				chromedp.SetValue(chromedp.ID("w-expires"), time.Now().AddDate(2, 0, 0).Format("2006-01-02")),
			)
			b.clickNav("form[action='/waivers'] button")
			if msg := b.text("#w-expires-error"); !strings.Contains(msg, "366 days") {
				t.Fatalf("the expiry's error: %s", msg)
			}
			if kept := value(b, chromedp.Value(chromedp.ID("w-justification"))); kept != justification {
				t.Fatalf("the justification was lost: %q", kept)
			}
			b.screenshot(shot("buyer-waiver-error", width))
			b.run(chromedp.SetValue(chromedp.ID("w-expires"), time.Now().AddDate(0, 6, 0).Format("2006-01-02")))
			b.clickNav("form[action='/waivers'] button")
			if flash := b.text(`p.flash[role="status"]`); !strings.Contains(flash, "Waiver requested") {
				t.Fatalf("after the request: %s", flash)
			}
			if pending := b.text("#lines .pending-waiver"); !strings.Contains(pending, "requested") || !strings.Contains(pending, "Ben Buyer") {
				t.Fatalf("the line does not show its pending waiver: %s", pending)
			}
			b.screenshot(shot("buyer-order-pending-waiver", width))
			b.fits("the order", width)
		})
	}
}

// An approver sees who asked for each waiver, for which product, when;
// shortens one and approves it, refuses the other with a reason; then
// approves the order seeing its value, and the evidence names people.
func TestBrowserApproverShortensAWaiverRefusesOneWithAReasonAndApprovesTheOrder(t *testing.T) {
	for _, width := range []int{1440, 375} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			d := newDemoSite(t)
			svc := procurement.New(d.db)
			buyer := d.as(t, "buyer@demo.cascade.test")
			delivery := civil.Today().AddDays(40)
			o, err := svc.CreateOrder(buyer, procurement.NewOrder{Reference: "PO-2027-044", Market: "UK"})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range []procurement.NewLine{
				{GTIN: "4006381333931", Quantity: 4, UnitPrice: "79.99", Currency: "GBP", DeliveryDate: delivery},
				{GTIN: "9501101530003", Quantity: 2, UnitPrice: "59.00", Currency: "GBP", DeliveryDate: delivery},
			} {
				if o, err = svc.AddLine(buyer, o.ID, o.Version, l); err != nil {
					t.Fatal(err)
				}
			}
			checks, _ := svc.Check(buyer, o.ID)
			speaker, err := svc.RequestWaiver(buyer, procurement.NewWaiver{ProductID: o.Lines[1].ProductID, Market: "UK", Codes: checks[1].Codes,
				Justification: "Council chamber PA: the only speaker that fits the existing mounts.", ExpiresOn: civil.Today().AddDays(180)})
			if err != nil {
				t.Fatal(err)
			}
			plug, err := svc.RequestWaiver(buyer, procurement.NewWaiver{GTIN: "0614141000036", Market: "UK", Codes: []string{"LABEL_REQUIRED"},
				Justification: "Smart plugs for the depot: cheaper than the labelled ones.", ExpiresOn: civil.Today().AddDays(90)})
			if err != nil {
				t.Fatal(err)
			}

			b := d.open(t, width, "approver@demo.cascade.test")
			b.run(chromedp.Navigate(b.url+"/waivers"), chromedp.WaitVisible(chromedp.CSS("#waivers button.approve-waiver")))
			row := b.text(fmt.Sprintf("#waiver-%d", speaker.ID))
			if !strings.Contains(row, "Acme AC-SPK-5") || !strings.Contains(row, "Ben Buyer") || !strings.Contains(row, time.Now().UTC().Format("2006-01-02")) || strings.Contains(row, "product ") {
				t.Fatalf("the waiver row lacks its product, requester or date: %s", row)
			}
			b.screenshot(shot("approver-waivers", width))
			shorter := civil.Today().AddDays(60).String()
			b.run(chromedp.SetValue(chromedp.ID(fmt.Sprintf("expires-%d", speaker.ID)), shorter),
				chromedp.SendKeys(chromedp.ID(fmt.Sprintf("note-%d", speaker.ID)), "for this order only"))
			b.clickNav(fmt.Sprintf("#waiver-%d button.approve-waiver", speaker.ID))
			if row := b.text(fmt.Sprintf("#waiver-%d", speaker.ID)); !strings.Contains(row, "approved") || !strings.Contains(row, shorter) || !strings.Contains(row, "Aisha Approver") {
				t.Fatalf("the approved waiver: %s", row)
			}
			b.run(chromedp.SendKeys(chromedp.ID(fmt.Sprintf("reason-%d", plug.ID)), "A labelled plug is on the framework at a similar price."))
			b.clickNav(fmt.Sprintf("#waiver-%d button.refuse-waiver", plug.ID))
			if row := b.text(fmt.Sprintf("#waiver-%d", plug.ID)); !strings.Contains(row, "refused") || !strings.Contains(row, "on the framework") {
				t.Fatalf("the refused waiver: %s", row)
			}
			b.fits("the waivers", width)

			if o, err = svc.Submit(buyer, o.ID, o.Version); err != nil {
				t.Fatalf("the buyer's submit with the waiver: %v", err)
			}
			b.run(chromedp.Navigate(fmt.Sprintf("%s/orders/%d", b.url, o.ID)), chromedp.WaitVisible(chromedp.ID("approve-order")))
			if totals := b.text("#totals"); !strings.Contains(totals, "437.96 GBP") {
				t.Fatalf("the approver does not see the order's value: %s", totals)
			}
			b.clickNav("#approve-order")
			if status := b.text("#order-status"); status != "approved" {
				t.Fatalf("order status %q", status)
			}
			b.screenshot(shot("approver-order-approved", width))
			b.fits("the approved order", width)
			b.run(chromedp.Navigate(fmt.Sprintf("%s/api/v1/purchase-orders/%d/evidence", b.url, o.ID)), chromedp.WaitVisible(chromedp.CSS("h1")))
			ev := b.text("body")
			if !strings.Contains(ev, "Ben Buyer") || !strings.Contains(ev, "Aisha Approver") || strings.Contains(ev, "user ") || !strings.Contains(ev, "437.96 GBP") {
				t.Fatalf("the evidence pack: %s", ev)
			}
			b.screenshot(shot("approver-evidence", width))
		})
	}
}

// An admin edits the policy: downloads the active one as a file, edits it,
// uploads it, lands on its review (rule-by-rule diff, what flips), confirms
// and activates it; the impact preview is in the menu and leads there too.
// On the way: suppliers' users show their company, and a registry
// snapshot lists the entries it added.
func TestBrowserAdminDownloadsEditsReviewsAndActivatesAPolicy(t *testing.T) {
	for _, width := range []int{1440, 375} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			d := newDemoSite(t)
			b := d.open(t, width, "admin@demo.cascade.test")
			b.run(chromedp.Navigate(b.url+"/admin/users"), chromedp.WaitVisible(chromedp.ID("users")))
			if users := b.text("#users"); !strings.Contains(users, "Acme Connected Ltd") || !strings.Contains(users, "Northwind Devices GmbH") {
				t.Fatalf("supplier users show no company: %s", users)
			}
			if title := value(b, chromedp.Title()); strings.Count(title, "Cascade") != 1 {
				t.Fatalf("title %q", title)
			}
			b.run(chromedp.Navigate(b.url+"/admin/registries"), chromedp.WaitVisible(chromedp.CSS("details.added summary")),
				chromedp.Click(chromedp.CSS("details.added summary")), chromedp.WaitVisible(chromedp.CSS("details.added li")))
			b.clickNav(`header.top nav a[href="/admin/policies"]`)
			// The download is the document itself: fetched as the browser would save it.
			raw := value(b, chromedp.Evaluate[string](`fetch(document.querySelector("a.download-policy").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
			var doc map[string]any
			if err := json.Unmarshal([]byte(raw), &doc); err != nil || doc["version"] == nil || doc["document"] != nil {
				t.Fatalf("the download is not an uploadable policy: %v %.200s", err, raw)
			}
			doc["version"] = "2027-01-demo"
			doc["rules"].([]any)[0].(map[string]any)["severity"] = "warn"
			edited, _ := json.MarshalIndent(doc, "", "  ")
			file := filepath.Join(t.TempDir(), "policy-2027-01-demo.json")
			os.WriteFile(file, edited, 0o600)
			b.run(chromedp.SetUploadFiles(chromedp.ID("document"), []string{file}))
			b.clickNav("form[enctype] button[type=submit]")
			if loc := value(b, chromedp.Location()); strings.Contains(loc, "csrf=") {
				t.Fatalf("the CSRF token is in the address bar: %s", loc)
			}
			diff := b.text("#policy-diff")
			if !strings.Contains(diff, "PASSWORD_MODEL_UNKNOWN") || !strings.Contains(diff, "severity") || !strings.Contains(diff, `"warn"`) {
				t.Fatalf("the review's diff: %s", diff)
			}
			b.run(chromedp.WaitVisible(chromedp.ID("impact-counts")))
			b.screenshot(shot("admin-policy-review", width))
			b.fits("the policy review", width)

			b.clickNav(`header.top nav a[href="/impact"]`)
			b.run(chromedp.SetValue(chromedp.ID("policy"), "2027-01-demo"))
			b.clickNav("main form button[type=submit]")
			b.clickNav("#review-policy")
			b.run(chromedp.Click(chromedp.ID("confirm")))
			b.clickNav("#activate-policy")
			if flash := b.text(`p.flash[role="status"]`); !strings.Contains(flash, "Policy activated") {
				t.Fatalf("after activating: %s", flash)
			}
			if active, _, err := policy.NewStore(d.db).Active(d.as(t, "admin@demo.cascade.test")); err != nil || active.Version != "2027-01-demo" {
				t.Fatalf("active policy %q, %v", active.Version, err)
			}
			b.screenshot(shot("admin-policies", width))
		})
	}
}

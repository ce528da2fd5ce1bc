package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/cascade-gate/cascade/app/demo"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// chromium finds Debian's Chromium. Outside CI a missing browser skips the
// test with one line; in CI it fails: the browser tests must run there.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CASCADE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed in CI: .ci/run must install the chromium package")
	}
	t.Skip("browser tests skipped: install Debian's chromium package (apt-get install chromium)")
	return ""
}

// browserSession starts the server on a real port and a headless Chromium.
type browserSession struct {
	t   *testing.T
	w   *world
	url string
	ctx context.Context
	dir string // downloads
}

func newBrowser(t *testing.T, width, height int) *browserSession {
	t.Helper()
	chromium(t)
	w := newWorld(t, dbtest.SQLite(t))
	srv := httptest.NewServer(web.New(w.db, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(srv.Close)
	b := newBrowserOn(t, srv.URL, width, height)
	b.w = w
	return b
}

// newBrowserOn starts a headless Chromium for a server already running at url.
func newBrowserOn(t *testing.T, url string, width, height int) *browserSession {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browserSession{t: t, url: url, ctx: ctx, dir: t.TempDir()}
	yes := true
	b.run(chromedp.Navigate(url+"/login"), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: b.dir, EventsEnabled: &yes,
		})
		return err
	}))
	return b
}

func (b *browserSession) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// value runs an action that returns something.
func value[T any](b *browserSession, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// signIn fills the sign-in form as a person would.
func (b *browserSession) signIn(role string) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(b.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), role+"@test.example"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header.top nav")),
	)
}

// screenshot saves a full-page PNG under docs/screenshots when
// CASCADE_SCREENSHOTS names that folder (the committed ones were made so).
func (b *browserSession) screenshot(name string) {
	dir := os.Getenv("CASCADE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := value(b, chromedp.FullScreenshot(100)) // 100 gives PNG, lower JPEG
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// waitForDownload waits for a file to land in the download folder.
func (b *browserSession) waitForDownload() string {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(b.dir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".crdownload") {
				if info, err := e.Info(); err == nil && info.Size() > 0 {
					return filepath.Join(b.dir, e.Name())
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatal("no download arrived")
	return ""
}

// clickNav clicks something that loads a new page and waits for that page:
// the old document is marked first, so its leftovers never pass for the new one.
func (b *browserSession) clickNav(sel string) {
	b.t.Helper()
	b.run(chromedp.Evaluate[chromedp.Void]("window.__cascadeOld = true"), chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		fresh, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("window.__cascadeOld === undefined && document.readyState === 'complete'"))
		if err == nil && fresh {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("clicking %s loaded no new page", sel)
}

func (b *browserSession) signOut() {
	b.t.Helper()
	b.run(chromedp.Click(chromedp.CSS("header.top form button")), chromedp.WaitVisible(chromedp.ID("email")))
}

func (b *browserSession) text(sel string) string {
	b.t.Helper()
	return value(b, chromedp.Text(chromedp.CSS(sel)))
}

func TestBrowserBuyerOrderIsBlockedWaivedByAnotherUserAndApproved(t *testing.T) {
	b := newBrowser(t, 1440, 1000)
	delivery := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	expires := time.Now().AddDate(0, 2, 0).Format("2006-01-02")

	b.signIn("buyer")
	b.run(chromedp.SendKeys(chromedp.ID("reference"), "PO-2026-114"))
	b.clickNav("main form button[type=submit]")
	b.run(
		chromedp.SendKeys(chromedp.ID("gtin"), "00012345600012"),
		chromedp.SetValue(chromedp.ID("quantity"), "3"),
		chromedp.SetValue(chromedp.ID("delivery_date"), delivery),
	)
	b.clickNav("form[action$='/lines'] button")
	b.run(chromedp.WaitVisible(chromedp.ID("submit-order")))
	if lines := b.text("#lines"); !strings.Contains(lines, "blocked") || !strings.Contains(lines, "PASSWORD_MODEL_UNKNOWN") {
		t.Fatalf("the blocked line is not shown inline: %s", lines)
	}
	b.clickNav("#submit-order")
	if flash := b.text("p.flash"); !strings.Contains(flash, "not moved") || b.text("#order-status") != "draft" {
		t.Fatalf("a blocked order was submitted: %s", flash)
	}
	b.clickNav("#lines a[href^='/waivers']")
	b.run(
		chromedp.WaitVisible(chromedp.ID("w-justification")),
		chromedp.SendKeys(chromedp.ID("w-justification"), "Replacement units for the library door entry: no labelled product fits the existing wiring."),
		chromedp.SetValue(chromedp.ID("w-expires"), expires),
	)
	b.clickNav("form[action='/waivers'] button")
	// Back on the order: the line shows the request pending.
	if line := b.text("#lines .pending-waiver"); !strings.Contains(line, "requested") || !strings.Contains(line, "buyer@test.example") {
		t.Fatalf("the line does not show its pending waiver: %s", line)
	}
	b.run(chromedp.Navigate(b.url+"/waivers"), chromedp.WaitVisible(chromedp.ID("waivers")))
	if ws := b.text("#waivers"); !strings.Contains(ws, "requested") || !strings.Contains(ws, "PASSWORD_MODEL_UNKNOWN") {
		t.Fatalf("waiver list: %s", ws)
	}
	b.signOut()

	b.signIn("approver")
	b.run(chromedp.Navigate(b.url+"/waivers"), chromedp.WaitVisible(chromedp.CSS("#waivers button.approve-waiver")))
	b.clickNav("#waivers button.approve-waiver")
	if ws := b.text("#waivers"); !strings.Contains(ws, "approved") {
		t.Fatalf("waiver not approved: %s", ws)
	}
	b.signOut()

	b.signIn("buyer")
	b.clickNav("#orders a")
	if lines := b.text("#lines"); !strings.Contains(lines, "waived") {
		t.Fatalf("the waiver does not cover the line: %s", lines)
	}
	b.clickNav("#submit-order")
	if status := b.text("#order-status"); status != "submitted" {
		t.Fatalf("order status %q", status)
	}
	b.signOut()

	b.signIn("approver")
	b.clickNav("#orders a")
	b.clickNav("#approve-order")
	if status := b.text("#order-status"); status != "approved" {
		t.Fatalf("order status %q", status)
	}
}

// TestBrowserPagesFitPhonesAndDesktops opens the main pages of each role at
// 375 and 1440 pixels wide: nothing may push the page sideways (wide tables
// scroll inside their own box), and every page has a heading.
func TestBrowserPagesFitPhonesAndDesktops(t *testing.T) {
	pages := map[string][]string{
		"supplier":         {"/supplier", "/supplier/products"},
		"category_manager": {"/dashboard", "/upcoming", "/products?verdict=blocked", "/listings", "/impact?as_of=2027-01-04"},
		"buyer":            {"/orders", "/catalogue?market=UK&all=true", "/waivers"},
		"admin":            {"/admin/users", "/admin/registries", "/admin/policies", "/admin/audit"},
	}
	for _, width := range []int{375, 1440} {
		b := newBrowser(t, width, 900)
		for role, paths := range pages {
			b.signIn(role)
			for _, p := range paths {
				b.run(chromedp.Navigate(b.url+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
				fits := value(b, chromedp.Evaluate[bool]("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"))
				if !fits {
					t.Errorf("%s at %d px is wider than the screen", p, width)
				}
				unlabelled := value(b, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("main input:not([type=hidden]), main select, main textarea")).filter(e => !e.closest("label") && !document.querySelector("label[for='"+e.id+"']")).length`))
				if unlabelled != 0 {
					t.Errorf("%s has %d form fields without a label", p, unlabelled)
				}
			}
			if width == 375 && role == "category_manager" {
				b.run(chromedp.Navigate(b.url + "/dashboard"))
				b.screenshot("phone-dashboard")
			}
			b.signOut()
		}
	}
}

// TestBrowserDemoPages signs in as each demo user, on the data `make run
// --demo` loads, and opens each role's main page: the screenshots in
// docs/screenshots come from here.
func TestBrowserDemoPages(t *testing.T) {
	chromium(t)
	db := dbtest.SQLite(t)
	logins, err := demo.Load(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(srv.Close)
	pw := map[string]string{}
	for _, l := range logins {
		pw[l.Email] = l.Password
	}
	shots := []struct {
		email, path, wait, name string
		width                   int
	}{
		{"supplier@acme.demo.cascade.test", "/supplier/products", "#products", "demo-supplier-products", 1440},
		{"supplier@acme.demo.cascade.test", "/supplier/products?verdict=blocked", "#products", "demo-supplier-products-phone", 375},
		{"manager@demo.cascade.test", "/dashboard", "#market-chart ul.bars", "demo-dashboard", 1440},
		{"manager@demo.cascade.test", "/dashboard", "#market-chart ul.bars", "demo-dashboard-phone", 375},
		{"manager@demo.cascade.test", "/products?verdict=blocked", "#products", "demo-blocked-products", 1440},
		{"manager@demo.cascade.test", "/impact?as_of=2027-02-01", "#impact-flips", "demo-impact-preview", 1440},
		{"buyer@demo.cascade.test", "/catalogue?market=UK&all=true", "#catalogue", "demo-procurement-catalogue", 1440},
		{"admin@demo.cascade.test", "/admin/registries", "main section", "demo-registries", 1440},
	}
	for _, s := range shots {
		t.Logf("%s as %s at %d px", s.path, s.email, s.width)
		b := newBrowserOn(t, srv.URL, s.width, 900)
		b.run(
			chromedp.Navigate(b.url+"/login"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), s.email),
			chromedp.SendKeys(chromedp.ID("password"), pw[s.email]),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("header.top nav")),
			chromedp.Navigate(b.url+s.path),
			chromedp.WaitVisible(chromedp.CSS("main h1")),
		)
		b.run(chromedp.WaitVisible(chromedp.CSS(s.wait)))
		if h := b.text("main h1"); h == "" || strings.Contains(h, "did not work") {
			t.Fatalf("%s as %s: %q", s.path, s.email, h)
		}
		b.screenshot(s.name)
	}
}

// A category manager opens the dispute queue from the menu, sees both
// offers side by side and accepts one with a note, as a person would.
func TestBrowserCategoryManagerAcceptsADispute(t *testing.T) {
	b := newBrowser(t, 1440, 1000)
	b.w.openDispute(t)
	b.signIn("category_manager")
	b.run(
		chromedp.Click(chromedp.CSS(`header.top nav a[href="/disputes"]`)),
		chromedp.WaitVisible(chromedp.CSS("section.dispute table.sides")),
	)
	queue := b.text("main")
	if !strings.Contains(queue, "GTIN 00614141000036") || !strings.Contains(queue, "Supplier A (disputed)") || !strings.Contains(queue, "universal_default") {
		t.Fatalf("queue: %s", queue)
	}
	b.screenshot("manager-disputes")
	b.run(
		chromedp.SendKeys(chromedp.CSS("section.dispute input[name=note]"), "same maker, newer firmware"),
		chromedp.Click(chromedp.CSS("section.dispute button[type=submit]:not(.secondary)")),
		chromedp.WaitVisible(chromedp.CSS(`p.flash[role="status"]`)),
	)
	if got := b.text(`p.flash[role="status"]`); !strings.Contains(got, "Dispute accepted") {
		t.Fatalf("banner: %s", got)
	}
	var status, note string
	b.w.db.Raw("SELECT status, note FROM gtin_disputes WHERE id = ?", b.w.dispute).Row().Scan(&status, &note)
	if status != "accepted" || note != "same maker, newer firmware" {
		t.Fatalf("stored: %s %q", status, note)
	}
}

func TestBrowserSupplierChecksAFileBeforeUploadingIt(t *testing.T) {
	b := newBrowser(t, 1440, 1000)
	sheet := filepath.Join(t.TempDir(), "to-check.csv")
	os.WriteFile(sheet, []byte("sku,gtin,brand,model,category,markets,password_model\n"+
		"CHK-1,9501101530003,Acme,M1,smart_plug,UK,universal_default\n"+
		"CHK-2,123,Acme,M2,smart_plug,UK,\n"), 0o600)
	var before int64
	b.w.db.Table("import_batches").Count(&before)
	b.signIn("supplier")
	b.run(
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{sheet}),
		chromedp.Click(chromedp.ID("check-file")),
		chromedp.WaitVisible(chromedp.ID("dry-run")),
	)
	page := value(b, chromedp.OuterHTML(chromedp.CSS("main")))
	if created, rejected := value(b, chromedp.Text(chromedp.ID("would-create"))), value(b, chromedp.Text(chromedp.ID("would-reject"))); created != "1" || rejected != "1" {
		t.Errorf("would create %q, reject %q", created, rejected)
	}
	for _, want := range []string{"INVALID_GTIN", "UNIVERSAL_DEFAULT_PASSWORD", "CHK-1"} {
		if !strings.Contains(page, want) {
			t.Errorf("the check's page lacks %s:\n%s", want, page)
		}
	}
	var after, products int64
	b.w.db.Table("import_batches").Count(&after)
	b.w.db.Table("products").Where("sku LIKE 'CHK-%'").Count(&products)
	if after != before || products != 0 {
		t.Errorf("the check stored batches %d -> %d, %d products", before, after, products)
	}
}

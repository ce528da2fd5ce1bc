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
	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/database/dbtest"
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
	exe := chromium(t)
	w := newWorld(t, dbtest.SQLite(t))
	srv := httptest.NewServer(web.New(w.db, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(srv.Close)
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
	b := &browserSession{t: t, w: w, url: srv.URL, ctx: ctx, dir: t.TempDir()}
	yes := true
	b.run(chromedp.Navigate(srv.URL+"/login"), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
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
	png := value(b, chromedp.FullScreenshot(80))
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

func TestBrowserSupplierUploadsASheetAndDownloadsTheFixWorkbook(t *testing.T) {
	b := newBrowser(t, 1440, 1000)
	sheet := filepath.Join(t.TempDir(), "acme-products.csv")
	os.WriteFile(sheet, []byte("sku,gtin,brand,model,name,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance\n"+
		"OK-1,9501101530003,Acme,M1,Good plug,smart_plug,UK,unique_per_device,https://acme.example/s,2030-01-31,included\n"+
		"BAD-1,4006381333932,Acme,M2,Bad barcode,smart_plug,UK,unique_per_device,https://acme.example/s,2030-01-31,included\n"+
		"PW-1,5901234123457,Acme,M3,<script>alert(1)</script>,smart_plug,UK,universal_default,https://acme.example/s,2030-01-31,included\n"), 0o600)
	b.signIn("supplier")
	b.screenshot("supplier-upload")
	b.run(
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{sheet}),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("fix-workbook")),
	)
	rejected := value(b, chromedp.Text(chromedp.ID("rejected-count")))
	blocked := value(b, chromedp.Text(chromedp.ID("blocked-count")))
	page := value(b, chromedp.OuterHTML(chromedp.CSS("main")))
	if rejected != "1" || !strings.Contains(page, "INVALID_GTIN") || !strings.Contains(page, "UNIVERSAL_DEFAULT_PASSWORD") {
		t.Fatalf("result page: rejected %q blocked %q\n%s", rejected, blocked, page)
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Fatal("a supplier's product name was rendered as markup")
	}
	b.screenshot("supplier-import-result")
	b.run(chromedp.Click(chromedp.ID("fix-workbook")))
	f, err := excelize.OpenFile(b.waitForDownload())
	if err != nil {
		t.Fatalf("the downloaded fix workbook does not open: %v", err)
	}
	rows, _ := f.GetRows("Products")
	f.Close()
	if len(rows) < 3 || rows[1][0] != "BAD-1" {
		t.Fatalf("fix workbook rows %v", rows)
	}
}

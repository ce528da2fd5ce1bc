package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/demo"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// The supplier's and the category manager's work lists, walked as a person
// would at a desktop's and a phone's width (issue #17, parts 1, 2, 6, 9).

var widths = []int{1440, 375}

// shotName is a screenshot's name at a width: the desktop one keeps the bare name.
func shotName(name string, width int) string {
	if width == 1440 {
		return name
	}
	return name + "-phone"
}

// download empties the download folder, clicks sel and returns the file that arrives.
func (b *browserSession) download(sel string) string {
	b.t.Helper()
	entries, _ := os.ReadDir(b.dir)
	for _, e := range entries {
		os.Remove(filepath.Join(b.dir, e.Name()))
	}
	b.run(chromedp.Click(chromedp.CSS(sel)))
	return b.waitForDownload()
}

// eval runs JavaScript on the page and returns its value.
func eval[T any](b *browserSession, js string) T {
	b.t.Helper()
	return value(b, chromedp.Evaluate[T](js))
}

// fitsTheScreen fails the test when the page scrolls sideways.
func (b *browserSession) fitsTheScreen(what string, width int) {
	b.t.Helper()
	if !eval[bool](b, "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1") {
		b.t.Errorf("%s at %d px is wider than the screen", what, width)
	}
}

// listTotal is the true total the pager says, "3" of "1–3 of 3 product(s)".
var totalPattern = regexp.MustCompile(`of ([0-9,]+) product`)

func (b *browserSession) listTotal() int {
	b.t.Helper()
	text := b.text("#list-total")
	if strings.HasPrefix(text, "0 products") {
		return 0
	}
	m := totalPattern.FindStringSubmatch(text)
	if m == nil {
		b.t.Fatalf("the pager says %q", text)
	}
	n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	return n
}

// listedSKUs are the SKUs of the list's rows, in order.
func (b *browserSession) listedSKUs() string {
	return eval[string](b, `Array.from(document.querySelectorAll("#products tbody tr[data-sku]")).map(r => r.dataset.sku).join(" ")`)
}

func workbookRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("the downloaded workbook does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Products")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func firstCells(rows [][]string) string {
	var out []string
	for _, r := range rows {
		if len(r) > 0 {
			out = append(out, r[0])
		}
	}
	return strings.Join(out, " ")
}

// A supplier uploads a sheet and sees what this file did, by channel: of
// its three rows one is rejected, one is blocked in retail (a universal
// default password) and one only for procurement (no label), and the
// fixture's older blocked product A-1 is not counted. The fix workbook
// holds this file's rows; the work list then shows every product once with
// a chip per market and channel, filters, a search and the reasons with
// their fix one click away, and downloads all blocked products. A refused
// file says why and what to do, and offers nothing else.
func TestBrowserSupplierWorksThroughTheImportResultAndTheWorkList(t *testing.T) {
	for _, width := range widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			b := newBrowser(t, width, 1000)
			sheet := filepath.Join(t.TempDir(), "acme-products.csv")
			os.WriteFile(sheet, []byte("sku,gtin,brand,model,name,category,markets,password_model,vuln_report_contact,support_end,statement_of_compliance\n"+
				"OK-1,9501101530003,Acme,M1,Good plug,smart_plug,UK,unique_per_device,https://acme.example/s,2030-01-31,included\n"+
				"BAD-1,4006381333932,Acme,M2,Bad barcode,smart_plug,UK,unique_per_device,https://acme.example/s,2030-01-31,included\n"+
				"PW-1,5901234123457,Acme,M3,<script>alert(1)</script>,smart_plug,UK,universal_default,https://acme.example/s,2030-01-31,included\n"), 0o600)
			b.signIn("supplier")
			if width == 1440 {
				b.screenshot("supplier-upload")
			}
			b.run(
				chromedp.SetUploadFiles(chromedp.ID("file"), []string{sheet}),
				chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
				chromedp.WaitVisible(chromedp.ID("blocked-procurement")),
			)
			counts := fmt.Sprintf("stored %s rejected %s retail %s procurement %s", b.text("#stored-count"), b.text("#rejected-count"),
				b.text("#blocked-retail"), b.text("#blocked-procurement"))
			if counts != "stored 2 rejected 1 retail 1 procurement 2" {
				t.Errorf("the result counts %q, want what this file did: stored 2 rejected 1 retail 1 procurement 2", counts)
			}
			page := value(b, chromedp.OuterHTML(chromedp.CSS("main")))
			if !strings.Contains(page, "INVALID_GTIN") || !strings.Contains(page, "UNIVERSAL_DEFAULT_PASSWORD") || strings.Contains(page, "<script>alert(1)") {
				t.Fatalf("result page:\n%s", page)
			}
			if skus := b.listedSKUs(); skus != "OK-1 PW-1" {
				t.Errorf("stored but blocked lists %q, want this file's OK-1 PW-1", skus)
			}
			// OK-1 is blocked only for procurement, and its chips say so.
			chips := eval[string](b, `Array.from(document.querySelectorAll("#products tr[data-sku='OK-1'] ul.chips li")).map(c => c.className + ":" + c.textContent.trim()).join("; ")`)
			if chips != "badge allowed:✓ UK retail allowed; badge blocked:✗ UK proc. blocked" {
				t.Errorf("OK-1's chips: %q", chips)
			}
			b.fitsTheScreen("the import result", width)
			b.screenshot(shotName("supplier-import-result", width))

			rows := workbookRows(t, b.download("#fix-workbook"))
			if got := firstCells(rows[1:]); got != "BAD-1 OK-1 PW-1" {
				t.Errorf("the fix workbook holds %q, want this file's BAD-1 OK-1 PW-1", got)
			}

			// The procurement figure opens the list behind it.
			b.clickNav("#blocked-procurement a")
			if n, skus := b.listTotal(), b.listedSKUs(); n != 2 || skus != "OK-1 PW-1" {
				t.Errorf("the procurement figure's list: %d %q", n, skus)
			}

			// The work list: every product once, A-1 included.
			b.clickNav(`header.top nav a[href="/supplier/products"]`)
			if n, skus := b.listTotal(), b.listedSKUs(); n != 3 || skus != "A-1 OK-1 PW-1" {
				t.Errorf("My products: %d %q", n, skus)
			}
			// Blocked in retail only.
			b.run(chromedp.Click(chromedp.ID("verdict")), chromedp.SetValue(chromedp.ID("channel"), "retail"))
			b.clickNav("form[role=search] button[type=submit]")
			if n, skus := b.listTotal(), b.listedSKUs(); n != 2 || skus != "A-1 PW-1" {
				t.Errorf("blocked in retail: %d %q", n, skus)
			}
			// A reason's fix is one click away.
			sel := "#products tr[data-sku='PW-1'] details.reason summary"
			b.run(chromedp.Click(chromedp.CSS(sel)))
			if fix := b.text("#products tr[data-sku='PW-1'] details.reason[open] p"); !strings.Contains(fix, "How to fix:") || len(fix) < 20 {
				t.Errorf("the fix shown: %q", fix)
			}
			b.fitsTheScreen("My products", width)
			b.screenshot(shotName("supplier-products", width))
			// A reason picked from the list, then a search by name in another case.
			b.run(chromedp.SetValue(chromedp.ID("code"), "UNIVERSAL_DEFAULT_PASSWORD"))
			b.clickNav("form[role=search] button[type=submit]")
			if skus := b.listedSKUs(); skus != "PW-1" {
				t.Errorf("reason UNIVERSAL_DEFAULT_PASSWORD: %q", skus)
			}
			b.run(chromedp.Navigate(b.url+"/supplier/products"), chromedp.WaitVisible(chromedp.ID("q")), chromedp.SendKeys(chromedp.ID("q"), "GOOD PLUG"))
			b.clickNav("form[role=search] button[type=submit]")
			if skus := b.listedSKUs(); skus != "OK-1" {
				t.Errorf("search GOOD PLUG: %q", skus)
			}
			rows = workbookRows(t, b.download("#blocked-workbook"))
			if got := firstCells(rows[1:]); got != "A-1 OK-1 PW-1" || rows[0][len(rows[0])-2] != "errors" {
				t.Errorf("the blocked-products workbook holds %q (header %v)", got, rows[0])
			}

			// A refused file: its error and what to do, nothing else.
			pdf := filepath.Join(t.TempDir(), "catalogue.pdf")
			os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << >> endobj\n"), 0o600)
			b.run(chromedp.Navigate(b.url+"/supplier"), chromedp.WaitVisible(chromedp.ID("file")), chromedp.SetUploadFiles(chromedp.ID("file"), []string{pdf}))
			b.clickNav("form.stack button[type=submit]")
			b.run(chromedp.WaitVisible(chromedp.ID("import-refused")))
			if msg := b.text("#import-error"); !strings.Contains(msg, "UNSUPPORTED_FILE") || !strings.Contains(msg, "PDF") {
				t.Errorf("the refusal says %q", msg)
			}
			if n := eval[int](b, `document.querySelectorAll("#fix-workbook, #products, #blocked-retail, #rejected-count").length`); n != 0 {
				t.Errorf("a refused file still offers %d counts, lists or workbooks", n)
			}
			b.fitsTheScreen("a refused import", width)
			if width == 1440 {
				b.screenshot("supplier-import-refused")
			}
		})
	}
}

// demoSession signs a demo user in, on the data `make run --demo` loads.
func demoSession(t *testing.T, url string, pw map[string]string, email string, width int) *browserSession {
	t.Helper()
	b := newBrowserOn(t, url, width, 1000)
	b.run(
		chromedp.Navigate(b.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), pw[email]),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header.top nav")),
	)
	return b
}

// A category manager goes from each kind of dashboard figure to the list
// behind it, whose true total is the figure; searches by name in another
// case, picks a reason from the list, pages, exports the filter as CSV
// (every product of it) and opens a product.
func TestBrowserCategoryManagerGoesFromEachDashboardFigureToItsList(t *testing.T) {
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
	for _, width := range widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			b := demoSession(t, srv.URL, pw, "manager@demo.cascade.test", width)
			b.run(chromedp.Navigate(b.url+"/dashboard"), chromedp.WaitVisible(chromedp.ID("market-chart")))
			b.fitsTheScreen("the dashboard", width)
			if small := eval[int](b, `Array.from(document.querySelectorAll("main, main *")).filter(e => e.childNodes.length && Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()) && parseFloat(getComputedStyle(e).fontSize) < 11).length`); small != 0 {
				t.Errorf("%d texts on the dashboard are smaller than 11 px at %d px", small, width)
			}
			b.screenshot(shotName("manager-dashboard", width))
			// Every figure is a link, and every chart tooltip says allowed or blocked.
			if n := eval[int](b, `Array.from(document.querySelectorAll("#market-chart a.bar-row")).filter(a => !/ (allowed|blocked) \(/.test(a.title)).length`); n != 0 {
				t.Errorf("%d market bars have a tooltip that does not say allowed or blocked", n)
			}
			// Every non-zero bar is drawn, however small beside the largest.
			if n := eval[int](b, `Array.from(document.querySelectorAll("a.bar-row")).filter(a => a.querySelector(".bar-value").textContent !== "0" && a.querySelector("rect").getBoundingClientRect().width < 2).length`); n != 0 {
				t.Errorf("%d bars with a value are not drawn at %d px", n, width)
			}
			if n := eval[int](b, `document.querySelectorAll("#market-chart a.bar-row, #reason-chart a.bar-row, #calendar a, #scorecards a, #market-cards a").length`); n < 20 {
				t.Errorf("only %d figures link to their lists", n)
			}
			// The calendar of upcoming blocks: twelve months, labelled as months, each figure
			// with a tooltip and an accessible name, reasons in a legend; within the screen.
			if n := eval[int](b, `document.querySelectorAll("#calendar ol.calendar > li").length`); n != 12 {
				t.Errorf("the calendar shows %d months", n)
			}
			if labels := eval[string](b, `Array.from(document.querySelectorAll("#calendar .month")).slice(0, 2).map(e => e.textContent).join(",")`); !regexp.MustCompile(`^[A-Z][a-z]{2} 20\d\d,[A-Z][a-z]{2} 20\d\d$`).MatchString(labels) {
				t.Errorf("calendar labels %q read like dates", labels)
			}
			if n := eval[int](b, `Array.from(document.querySelectorAll("#calendar ol.calendar a")).filter(a => !a.title || a.getAttribute("aria-label") !== a.title || !/ turns? blocked/.test(a.title)).length`); n != 0 {
				t.Errorf("%d calendar figures without a tooltip and name that say what they count", n)
			}
			if n := eval[int](b, `document.querySelectorAll("#calendar-legend li .code").length`); n < 1 || n != eval[int](b, `new Set(Array.from(document.querySelectorAll("#calendar .reasons .code")).map(e => e.textContent)).size`) {
				t.Errorf("the legend names %d reasons, not the calendar's", n)
			}
			if n := eval[int](b, `Array.from(document.querySelectorAll("#calendar ol.calendar > li, #calendar-legend li")).filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > document.documentElement.clientWidth + 1 || r.width < 100 }).length`); n != 0 {
				t.Errorf("%d calendar cells do not fit the %d px screen", n, width)
			}
			// A reason in a month opens the list of exactly its verdicts.
			cell := `#calendar .reasons a`
			n, err := strconv.Atoi(strings.ReplaceAll(eval[string](b, `document.querySelector("`+cell+` .n").textContent`), ",", ""))
			if err != nil || n < 1 {
				t.Fatalf("the first reason cell reads %d (%v)", n, err)
			}
			b.clickNav(cell)
			if total := b.text("#list-total"); !strings.Contains(total, fmt.Sprintf(" of %d verdict(s)", n)) {
				t.Errorf("the cell says %d, its list %q", n, total)
			}
			if rows := eval[int](b, `document.querySelectorAll("#upcoming tbody tr[data-sku]").length`); rows != min(n, 50) {
				t.Errorf("the cell's list shows %d rows of %d", rows, n)
			}
			b.fitsTheScreen("the upcoming blocks", width)
			b.screenshot(shotName("manager-upcoming", width))
			figures := []string{
				`#market-chart a.bar-row[title*="UK retail"][title*="blocked"]`,
				`#market-chart a.bar-row[title*="EU retail"][title*="allowed"]`,
				`#reason-chart a.bar-row`,
				`#scorecards tbody tr:first-child td:nth-child(4) a`,
				`#scorecards tbody tr:first-child td:nth-child(5) a:last-child`,
			}
			for _, sel := range figures {
				b.run(chromedp.Navigate(b.url+"/dashboard"), chromedp.WaitVisible(chromedp.ID("market-chart")))
				figure := eval[string](b, `(e => e.querySelector(".bar-value, .n") ? e.querySelector(".bar-value, .n").textContent : e.textContent)(document.querySelector(`+strconv.Quote(sel)+`))`)
				want, err := strconv.Atoi(strings.ReplaceAll(regexp.MustCompile(`^[0-9,]+`).FindString(strings.TrimSpace(figure)), ",", ""))
				if err != nil {
					t.Fatalf("figure %s reads %q", sel, figure)
				}
				b.clickNav(sel)
				if got := b.listTotal(); got != want {
					t.Errorf("the figure %s says %d, its list holds %d", sel, want, got)
				}
				if rows := eval[int](b, `document.querySelectorAll("#products tbody tr[data-sku]").length`); rows != min(want, 50) {
					t.Errorf("the figure %s's list shows %d rows of %d", sel, rows, want)
				}
			}

			// Search by name, any case: one row per product, however many markets.
			b.run(chromedp.Navigate(b.url+"/products"), chromedp.WaitVisible(chromedp.ID("q")), chromedp.SendKeys(chromedp.ID("q"), "ACME SPEAKER"))
			b.clickNav("form[role=search] button[type=submit]")
			if skus := b.listedSKUs(); skus != "ACM-SPK-5" {
				t.Errorf("search ACME SPEAKER: %q", skus)
			}
			if chips := eval[int](b, `document.querySelectorAll("#products tr[data-sku='ACM-SPK-5'] ul.chips li").length`); chips != 4 {
				t.Errorf("the speaker (UK, US) has %d chips, want 4", chips)
			}
			// A reason picked from the list, blocked.
			b.run(chromedp.Navigate(b.url+"/products"), chromedp.WaitVisible(chromedp.ID("code")),
				chromedp.SetValue(chromedp.ID("code"), "LABEL_REQUIRED"), chromedp.SetValue(chromedp.ID("verdict"), "blocked"))
			b.clickNav("form[role=search] button[type=submit]")
			total := b.listTotal()
			if total < 2 {
				t.Fatalf("LABEL_REQUIRED blocks %d products: the paging below would prove nothing", total)
			}
			b.fitsTheScreen("the product search", width)
			b.screenshot(shotName("manager-products", width))
			// The export holds every product of the filter, not a page.
			f, err := os.Open(b.download("#export-csv"))
			if err != nil {
				t.Fatal(err)
			}
			records, err := csv.NewReader(f).ReadAll()
			f.Close()
			if err != nil || len(records) != total+1 || records[0][1] != "sku" {
				t.Errorf("the CSV export has %d records (%v), want %d products and a header", len(records), err, total)
			}
			// Pages: one product a page, the next page shows the second.
			b.run(chromedp.Navigate(b.url+"/products?code=LABEL_REQUIRED&verdict=blocked&per_page=1"), chromedp.WaitVisible(chromedp.ID("list-total")))
			first := b.listedSKUs()
			b.clickNav("nav.pager a[rel=next]")
			if second := b.listedSKUs(); second == first || b.listTotal() != total || !strings.HasPrefix(b.text("#list-total"), "2–2 of") {
				t.Errorf("page 2: %q after %q, %q", second, first, b.text("#list-total"))
			}
			b.clickNav("#products tbody tr[data-sku] td a")
			if page := b.text("main"); !strings.Contains(page, "LABEL_REQUIRED") || !strings.Contains(page, "Evidence: policy") {
				t.Errorf("product page: %s", page)
			}
			b.fitsTheScreen("a product", width)
			b.screenshot(shotName("manager-product", width))
		})
	}
}

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/cli"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/catalog/registry"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, dsn, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Execute(context.Background(), append([]string{"--db", dsn}, args...), strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestSupplierUserAndTokenCommands(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "cli.db")

	if r := run(t, dsn, "", "supplier", "add", "Acme", "Connected", "Ltd"); r.code != 0 || !strings.Contains(r.stdout, `"Acme Connected Ltd" registered`) {
		t.Fatalf("supplier add: %+v", r)
	}
	if r := run(t, dsn, "", "supplier", "add", "acme connected ltd"); r.code == 0 || !strings.Contains(r.stderr, "ALREADY_EXISTS") {
		t.Fatalf("duplicate supplier: %+v", r)
	}
	if r := run(t, dsn, "", "user", "add", "--email", "s@acme.example", "--role", "supplier", "--supplier", "Nobody Ltd"); r.code == 0 || !strings.Contains(r.stderr, "UNKNOWN_SUPPLIER") {
		t.Fatalf("unknown supplier must be an error, never created: %+v", r)
	}
	if r := run(t, dsn, "", "supplier", "list"); strings.Contains(r.stdout, "Nobody") {
		t.Fatalf("unknown supplier was created: %s", r.stdout)
	}
	r := run(t, dsn, "", "user", "add", "--email", "s@acme.example", "--role", "supplier", "--supplier", "ACME connected ltd")
	if r.code != 0 || !strings.Contains(r.stdout, "password: ") {
		t.Fatalf("user add: %+v", r)
	}
	if r := run(t, dsn, "a password long enough\n", "user", "add", "--email", "b@council.example", "--role", "buyer", "--organisation", "Council", "--password-stdin"); r.code != 0 || strings.Contains(r.stdout, "password:") {
		t.Fatalf("user add with stdin password: %+v", r)
	}
	if r := run(t, dsn, "", "user", "add", "--email", "x@example.org", "--role", "wizard"); r.code == 0 || !strings.Contains(r.stderr, "UNKNOWN_ROLE") {
		t.Fatalf("bad role: %+v", r)
	}

	r = run(t, dsn, "", "token", "create", "--user", "s@acme.example", "--name", "erp")
	if r.code != 0 {
		t.Fatalf("token create: %+v", r)
	}
	secret := strings.TrimSpace(r.stdout)
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	p, err := auth.NewService(db).TokenPrincipal(context.Background(), secret)
	if err != nil || p.Role != access.Supplier || p.SupplierID == 0 {
		t.Fatalf("printed token does not authenticate as the supplier user: %+v %v", p, err)
	}
	var stored int64
	db.Table("api_tokens").Where("token_hash = ?", secret).Count(&stored)
	if stored != 0 {
		t.Fatal("token stored in plain text")
	}
	if r := run(t, dsn, "", "token", "create", "--user", "nobody@example.org"); r.code == 0 || !strings.Contains(r.stderr, "UNKNOWN_USER") {
		t.Fatalf("token for unknown user: %+v", r)
	}
}

// TestTokenCreateRefusesLifetimesOutOfRange: --ttl-days is 1 to 730; a
// number of days whose nanoseconds overflow (213504 wrapped to a 25-minute
// token), or 0 or less, is an INVALID_TOKEN_TTL error and no token.
func TestTokenCreateRefusesLifetimesOutOfRange(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "ttl.db")
	if r := run(t, dsn, "", "user", "add", "--email", "ops@acme.example", "--role", "admin"); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	for _, days := range []string{"213504", "1099511627776", "731", "0", "-5"} {
		r := run(t, dsn, "", "token", "create", "--user", "ops@acme.example", "--ttl-days", days)
		if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, "INVALID_TOKEN_TTL") {
			t.Errorf("--ttl-days %s: %+v; want an INVALID_TOKEN_TTL error and no token", days, r)
		}
	}
	r := run(t, dsn, "", "token", "create", "--user", "ops@acme.example", "--ttl-days", "730")
	if want := time.Now().UTC().AddDate(0, 0, 730).Format(time.DateOnly); r.code != 0 || !strings.Contains(r.stderr, "expires "+want) {
		t.Fatalf("--ttl-days 730: %+v; want a token expiring %s", r, want)
	}
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	var tokens int64
	db.Table("api_tokens").Count(&tokens)
	if tokens != 1 {
		t.Fatalf("%d tokens stored, want only the 730-day one", tokens)
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "audit.db")
	run(t, dsn, "", "supplier", "add", "One")
	run(t, dsn, "", "supplier", "add", "Two")
	if r := run(t, dsn, "", "audit", "verify"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("intact: %d entries", startUpEntries+2)) {
		t.Fatalf("verify: %+v", r)
	}
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"DROP TRIGGER audit_entries_no_update", `UPDATE audit_entries SET data = '{"name":"Forged"}' WHERE seq = 1`} {
		if err := db.Exec(s).Error; err != nil {
			t.Fatal(err)
		}
	}
	database.Close(db)
	if r := run(t, dsn, "", "audit", "verify"); r.code != 1 || !strings.Contains(r.stdout, "BROKEN at entry 1") {
		t.Fatalf("tampered verify: %+v", r)
	}
}

func TestImportCommandExitCodesAndFixWorkbook(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "imp.db")
	run(t, dsn, "", "supplier", "add", "Acme")
	good := filepath.Join(dir, "products.csv")
	os.WriteFile(good, []byte("sku,gtin,brand,model,category,markets\nA,4006381333931,Acme,M1,smart_plug,UK\nB,4006381333932,Acme,M2,smart_plug,UK\n"), 0o600)
	fix := filepath.Join(dir, "fix.xlsx")

	r := run(t, dsn, "", "import", "--supplier", "acme", good, "--report", fix)
	if r.code != 0 || !strings.Contains(r.stdout, "created 1, updated 0, unchanged 0, rejected 1") || !strings.Contains(r.stdout, "row 3, gtin") {
		t.Fatalf("import with a rejected row must exit 0 and list it: %+v", r)
	}
	if f, err := excelize.OpenFile(fix); err != nil {
		t.Fatalf("fix workbook: %v", err)
	} else {
		rows, _ := f.GetRows("Products")
		f.Close()
		// The rejected row B, then A: stored, but blocked (the sheet gave no security fields).
		if len(rows) != 3 || rows[1][0] != "B" || rows[2][0] != "A" {
			t.Fatalf("fix workbook rows %v", rows)
		}
	}
	pdf := filepath.Join(dir, "products.xlsx")
	os.WriteFile(pdf, []byte("%PDF-1.7 not a spreadsheet"), 0o600)
	if r := run(t, dsn, "", "import", "--supplier", "Acme", pdf); r.code == 0 || !strings.Contains(r.stderr, "UNSUPPORTED_FILE") {
		t.Fatalf("unreadable file must exit non-zero: %+v", r)
	}
	if r := run(t, dsn, "", "import", "--supplier", "Nobody", good); r.code == 0 || !strings.Contains(r.stderr, "UNKNOWN_SUPPLIER") {
		t.Fatalf("unknown supplier: %+v", r)
	}
}

func TestTemplateCommandWritesAWorkbook(t *testing.T) {
	r := run(t, filepath.Join(t.TempDir(), "t.db"), "", "template")
	if r.code != 0 {
		t.Fatalf("%+v", r.stderr)
	}
	f, err := excelize.OpenReader(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.GetSheetList()[0] != "Products" {
		t.Fatalf("sheets %v", f.GetSheetList())
	}
}

// TestRegistryImportVerdictsAndListingsEndToEnd is the CLI path of SPEC §5:
// load the sample registries, import a supplier sheet, read the verdicts
// today and as of a future date, export the listing feed.
func TestRegistryImportVerdictsAndListingsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "e2e.db")
	run(t, dsn, "", "supplier", "add", "Acme Connected Ltd")
	for scheme, raw := range registry.Samples() {
		path := filepath.Join(dir, scheme+".csv")
		os.WriteFile(path, raw, 0o600)
		if r := run(t, dsn, "", "registry", "import", "--scheme", scheme, "--sample", path); r.code != 0 || !strings.Contains(r.stdout, "added") {
			t.Fatalf("registry import %s: %+v", scheme, r)
		}
	}
	if r := run(t, dsn, "", "registry", "snapshots", "--scheme", "SG-CLS"); r.code != 0 || !strings.Contains(r.stdout, "SAMPLE") || !strings.Contains(r.stdout, "added: CSA/") {
		t.Fatalf("registry snapshots: %+v", r)
	}
	if r := run(t, dsn, "", "registry", "import", "--scheme", "XX-NONE", filepath.Join(dir, "SG-CLS.csv")); r.code == 0 || !strings.Contains(r.stderr, "UNKNOWN_SCHEME") {
		t.Fatalf("unknown scheme: %+v", r)
	}
	sheet := filepath.Join("..", "demo", "samples", "acme.csv")
	if r := run(t, dsn, "", "import", "--supplier", "Acme Connected Ltd", sheet); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	r := run(t, dsn, "", "verdicts", "--format", "csv", "--market", "uk", "--channel", "retail")
	if r.code != 0 || !strings.Contains(r.stdout, "Acme Connected Ltd,ACM-PLG-3,00614141000036,UK,retail,blocked,LABEL_REVOKED\n") ||
		!strings.Contains(r.stdout, "ACM-LAP-7,09780201379624,UK,retail,allowed,OUT_OF_SCOPE\n") || strings.Contains(r.stdout, ",EU,") {
		t.Fatalf("verdicts csv: %+v", r)
	}
	r = run(t, dsn, "", "verdicts", "--format", "json", "--as-of", "2027-02-01", "--market", "US", "--channel", "procurement")
	var records []struct {
		SKU     string   `json:"sku"`
		Verdict string   `json:"verdict"`
		Reasons []string `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &records); err != nil || len(records) != 2 {
		t.Fatalf("verdicts json: %v %+v", err, r)
	}
	for _, rec := range records {
		if rec.SKU == "ACM-SPK-5" && (rec.Verdict != "blocked" || !slices.Contains(rec.Reasons, "US_CTM_REQUIRED")) {
			t.Fatalf("forecast: %+v", rec)
		}
	}
	if r := run(t, dsn, "", "evaluate", "--as-of", "2027-02-01"); r.code != 0 || !strings.Contains(r.stdout, "nothing stored") ||
		!strings.Contains(r.stdout, "ACM-SPK-5 UK retail: allowed -> blocked SUPPORT_ENDED") {
		t.Fatalf("evaluate --as-of: %+v", r)
	}
	r = run(t, dsn, "", "export", "listings", "--market", "UK", "--format", "csv")
	if r.code != 0 || !strings.Contains(r.stdout, "ACM-CAM-1") || strings.Contains(r.stdout, "ACM-PLG-3") || strings.Contains(r.stdout, "ACM-BLB-6") {
		t.Fatalf("listings csv must hold allowed products only: %+v", r)
	}
	r = run(t, dsn, "", "export", "listings", "--market", "UK", "--format", "xlsx")
	f, err := excelize.OpenReader(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatalf("listings xlsx: %v", err)
	}
	rows, _ := f.GetRows("Listings UK")
	f.Close()
	if len(rows) < 2 || rows[0][1] != "sku" {
		t.Fatalf("listings xlsx rows %v", rows)
	}
	if r := run(t, dsn, "", "export", "listings", "--market", "FR"); r.code == 0 || !strings.Contains(r.stderr, "UNKNOWN_MARKET") {
		t.Fatalf("unknown market: %+v", r)
	}
}

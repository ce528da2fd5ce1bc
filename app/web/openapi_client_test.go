package web_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// clientFiles are the TypeScript client's sources and locked dependencies.
var clientFiles = []string{"package.json", "package-lock.json", "tsconfig.json", "client.ts"}

// TestAGeneratedTypeScriptClientCreatesATokenUploadsAFileAndCallsTheGate
// generates TypeScript types from the served OpenAPI document
// (openapi-typescript), type-checks a client written against them
// (openapi-fetch, tsc) and runs it on Node.js against a live server: it
// signs in, creates a token, uploads a CSV with it and calls the gate. A
// document that does not say what the API takes or answers fails the
// type check or the run. Without node and npm it skips, except in CI.
func TestAGeneratedTypeScriptClientCreatesATokenUploadsAFileAndCallsTheGate(t *testing.T) {
	for _, tool := range []string{"node", "npm", "npx"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed: CI must run the generated client (.ci/run installs Node.js)", tool)
			}
			t.Skipf("%s is not installed: the generated TypeScript client is not run", tool)
		}
	}
	dir := t.TempDir()
	for _, f := range clientFiles {
		raw, err := os.ReadFile(filepath.Join("testdata", "client", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(t *testing.T, env []string, name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append([]string{"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false"}, env...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
		}
		return string(out)
	}
	start := time.Now()
	run(t, nil, "npm", "ci", "--prefer-offline", "--no-audit", "--no-fund")
	t.Logf("npm ci: %s", time.Since(start).Round(time.Millisecond))

	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		srv := httptest.NewServer(w.srv.Handler())
		defer srv.Close()
		if _, err := os.Stat(filepath.Join(dir, "client.js")); err != nil { // generated once, from the first server's document
			start := time.Now()
			run(t, nil, "npx", "--no-install", "openapi-typescript", srv.URL+"/api/v1/openapi.json", "-o", "schema.d.ts")
			run(t, nil, "npx", "--no-install", "tsc", "-p", ".")
			t.Logf("generate and type-check: %s", time.Since(start).Round(time.Millisecond))
		}
		const gtin = "5901234123457"
		out := run(t, []string{"CASCADE_URL=" + srv.URL, "CASCADE_EMAIL=supplier@test.example", "CASCADE_PASSWORD=" + password, "CASCADE_GTIN=" + gtin},
			"node", "client.js")
		var got struct {
			TokenID       int64    `json:"token_id"`
			TokenPrefix   string   `json:"token_prefix"`
			ImportID      int64    `json:"import_id"`
			ImportStatus  string   `json:"import_status"`
			RowsCreated   int      `json:"rows_created"`
			GateVerdict   string   `json:"gate_verdict"`
			GateReasons   []string `json:"gate_reasons"`
			GateProducts  []int64  `json:"gate_products"`
			MissingStatus int      `json:"missing_status"`
			MissingCode   string   `json:"missing_code"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("client output %q: %v", out, err)
		}
		var tokenOwner int64
		db.Raw("SELECT user_id FROM api_tokens WHERE id = ?", got.TokenID).Scan(&tokenOwner)
		if tokenOwner != w.users["supplier"].ID || !strings.HasPrefix(got.TokenPrefix, "cas_") {
			t.Errorf("token %d (prefix %q) belongs to user %d, want the supplier %d", got.TokenID, got.TokenPrefix, tokenOwner, w.users["supplier"].ID)
		}
		var product, batchSupplier int64
		db.Raw("SELECT id FROM products WHERE supplier_id = ? AND sku = 'TS-1'", w.supplierA.ID).Scan(&product)
		db.Raw("SELECT supplier_id FROM import_batches WHERE id = ?", got.ImportID).Scan(&batchSupplier)
		if product == 0 || got.RowsCreated != 1 || batchSupplier != w.supplierA.ID {
			t.Errorf("import %d (%s, %d created, supplier %d): product TS-1 = %d", got.ImportID, got.ImportStatus, got.RowsCreated, batchSupplier, product)
		}
		// The client's gate answer is the server's.
		var want struct {
			Verdict string  `json:"verdict"`
			IDs     []int64 `json:"product_ids"`
		}
		rec := w.request("supplier", "GET", "/api/v1/gate?gtin="+gtin+"&market=UK&channel=retail", nil)
		if err := json.Unmarshal(rec.Body.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		if got.GateVerdict != want.Verdict || !slices.Contains(got.GateProducts, product) || want.Verdict == "" {
			t.Errorf("gate via the client: %s %v %v, via the server: %s %v", got.GateVerdict, got.GateProducts, got.GateReasons, want.Verdict, want.IDs)
		}
		if got.MissingStatus != 404 || got.MissingCode != "NOT_FOUND" {
			t.Errorf("a missing import: %d %q, want 404 NOT_FOUND", got.MissingStatus, got.MissingCode)
		}
		t.Logf("client: %s", strings.TrimSpace(out))
	})
}

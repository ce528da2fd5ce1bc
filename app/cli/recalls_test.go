package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/catalog/registry"
)

// TestRecallsImportListsAndSourcesFromTheCommandLine: a CPSC sample is
// imported with --format cpsc into US-CPSC, a canonical file into the list
// --list names, both show in `recalls lists`, and a CPSC source is stored
// with its format; a label scheme is no recall list.
func TestRecallsImportListsAndSourcesFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "recalls.db")
	for _, s := range registry.RecallSamples() {
		path := filepath.Join(dir, s.File)
		os.WriteFile(path, s.Data, 0o600)
		args := []string{"recalls", "import", "--sample", path}
		if s.Format != "" {
			args = append(args, "--format", s.Format)
		} else {
			args = append(args, "--list", s.List)
		}
		if r := run(t, dsn, "", args...); r.code != 0 || !strings.Contains(r.stdout, "of "+s.List+":") {
			t.Fatalf("recalls import %s: %+v", s.File, r)
		}
	}
	r := run(t, dsn, "", "recalls", "lists")
	if r.code != 0 || !strings.Contains(r.stdout, "US-CPSC\tU.S. CPSC recalls\tsnapshot") || !strings.Contains(r.stdout, "6 recalls (SAMPLE)") ||
		!strings.Contains(r.stdout, "EU-SAFETY-GATE") {
		t.Fatalf("recalls lists: %+v", r)
	}
	if r := run(t, dsn, "", "recalls", "import", filepath.Join(dir, "EU-SAFETY-GATE.csv")); r.code == 0 || !strings.Contains(r.stderr, "RECALL_LIST_REQUIRED") {
		t.Fatalf("a canonical file needs --list: %+v", r)
	}
	r = run(t, dsn, "", "recalls", "source", "add", "--format", "cpsc", "--url", "https://www.saferproducts.gov/RestWebServices/Recall?format=json", "--schedule", "0 4 * * *")
	if r.code != 0 || !strings.Contains(r.stdout, `for US-CPSC`) || !strings.Contains(r.stdout, `format "cpsc"`) {
		t.Fatalf("recalls source add: %+v", r)
	}
	if r := run(t, dsn, "", "recalls", "source", "add", "--list", "SG-CLS", "--url", "https://example.com/x.csv"); r.code == 0 || !strings.Contains(r.stderr, "NOT_A_RECALL_LIST") {
		t.Fatalf("a label scheme is no recall list: %+v", r)
	}
	if r := run(t, dsn, "", "registry", "source", "list"); r.code != 0 || !strings.Contains(r.stdout, "US-CPSC") {
		t.Fatalf("the recall source is a registry source: %+v", r)
	}
}

package main_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/cascade-gate/cascade/"

// layer names where a package of this module stands: the kernel every
// other package may stand on, the domain (the business rules), and the
// delivery that serves the domain to people and programs.
func layer(pkg string) string {
	p := strings.TrimPrefix(pkg, module)
	switch {
	case strings.HasPrefix(p, "app/kernel/"):
		return "kernel"
	case p == "app/web" || p == "app/cli" || p == "app/jobs" || p == "app/demo" || p == "templates" || p == strings.TrimSuffix(module, "/"):
		return "delivery"
	}
	return "domain"
}

// goPackage is a package of the module as `go list` describes it. Imports
// are those of its non-test files.
type goPackage struct {
	ImportPath string
	Imports    []string
}

// listPackages lists every package of the module.
func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []goPackage
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("only %d packages listed", len(pkgs))
	}
	return pkgs
}

// TestLayersPointDownward fails when the domain imports delivery code, or
// the kernel imports any other package of the project than the kernel's:
// arrows in the dependency graph only point down.
func TestLayersPointDownward(t *testing.T) {
	for _, p := range listPackages(t) {
		from := layer(p.ImportPath)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) && imp+"/" != module {
				continue
			}
			to := layer(imp)
			if (from == "kernel" && to != "kernel") || (from == "domain" && to == "delivery") {
				t.Errorf("%s (%s) imports %s (%s)", p.ImportPath, from, imp, to)
			}
		}
	}
}

// spreadsheets is the one package that may import excelize: every
// workbook Cascade reads or writes goes through its API, so the limits on
// reading and the rule that nothing is written as a formula hold in one
// place. Tests are exempt (go list's Imports leaves out _test.go files):
// they read what was written with excelize on purpose, as a reader
// independent of the code under test, and build hostile workbooks with it.
const spreadsheets = module + "app/kernel/tabular"

// TestOnlyTabularImportsExcelize fails when a package other than
// app/kernel/tabular imports excelize in its non-test code.
func TestOnlyTabularImportsExcelize(t *testing.T) {
	seen := false
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, "github.com/xuri/excelize") {
				continue
			}
			if p.ImportPath == spreadsheets {
				seen = true
				continue
			}
			t.Errorf("%s imports %s: write and read workbooks through %s", p.ImportPath, imp, spreadsheets)
		}
	}
	if !seen {
		t.Fatalf("%s does not import excelize: is the check still looking at the right packages?", spreadsheets)
	}
}

func TestLayerNamesWherePackagesStand(t *testing.T) {
	for pkg, want := range map[string]string{
		module + "app/kernel/database": "kernel", module + "app/kernel/outbound": "kernel",
		module + "catalog/verdicts": "domain", module + "imports": "domain", module + "app/auth": "domain",
		module + "app/web": "delivery", module + "app/cli": "delivery", module + "templates": "delivery", strings.TrimSuffix(module, "/"): "delivery",
	} {
		if got := layer(pkg); got != want {
			t.Errorf("layer(%s) = %s, want %s", pkg, got, want)
		}
	}
}

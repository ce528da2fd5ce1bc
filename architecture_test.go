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

// TestLayersPointDownward fails when the domain imports delivery code, or
// the kernel imports any other package of the project than the kernel's:
// arrows in the dependency graph only point down.
func TestLayersPointDownward(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
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
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d packages listed", checked)
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

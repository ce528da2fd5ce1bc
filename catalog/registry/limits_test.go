package registry_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog/registry"
)

func TestARegistryIsReadAsAStreamWithinItsLimits(t *testing.T) {
	entry := `{"label_id":"CSA/1/%d","brand":"Acme","model":"M","status":"valid"}`
	one := strings.Replace(entry, "%d", "1", 1)
	cases := []struct {
		name, content, code string
		entries             int
	}{
		{"an array of entries", "[" + one + "]", "", 1},
		{"entries wrapped in an object with other members", `{"source":{"name":"SG"},"entries":[` + one + `],"count":1}`, "", 1},
		{"more empty entries than a registry may list", "[" + strings.Repeat("{},", registry.MaxEntries) + "{}]", "TOO_MANY_ENTRIES", 0},
		{"an entry of 8 MB", `[{"label_id":"` + strings.Repeat("x", 8<<20) + `","brand":"A","model":"M","status":"valid"}]`, "ENTRY_TOO_LARGE", 0},
		{"a member of 8 MB beside the entries", `{"notes":"` + strings.Repeat("x", 8<<20) + `","entries":[` + one + `]}`, "ENTRY_TOO_LARGE", 0},
		{"garbage after the array", "[" + one + "] trailing", "UNREADABLE_REGISTRY", 0},
		{"an array of numbers", "[1,2]", "UNREADABLE_REGISTRY", 0},
		{"an object without entries", `{"items":[]}`, "UNREADABLE_REGISTRY", 0},
		{"a CSV of more rows than a registry may list", "label_id,brand,model,status\n" + strings.Repeat(",,,\n", registry.MaxEntries+1), "TOO_MANY_ENTRIES", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ext := ".json"
			if strings.HasPrefix(c.content, "label_id") {
				ext = ".csv"
			}
			path := write(t, "registry"+ext, c.content)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			entries, err := registry.ReadFile(path, "SG-CLS", nil)
			runtime.ReadMemStats(&after)
			if c.code == "" {
				if err != nil || len(entries) != c.entries {
					t.Fatalf("entries %d, err %v", len(entries), err)
				}
				return
			}
			if e, ok := errs.As(err); !ok || e.Code != c.code {
				t.Fatalf("err %v; want %s", err, c.code)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("refusing it allocated %d MB; it must be refused as it streams", alloc>>20)
			}
		})
	}
}

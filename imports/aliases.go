package imports

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// aliasesFile holds the header aliases of the columns of SPEC §2, in
// English, German, French and Spanish: data, edited without touching code.
//
//go:embed aliases.json
var aliasesFile []byte

// loadAliases reads an aliases file ({"column": {"language": [aliases]}})
// and returns every folded name and alias with the column it means, and
// each column's aliases as written (for the template's Instructions sheet). A column the file does not know, or an alias that
// would mean two columns, is an error: a header is never ambiguous.
func loadAliases(raw []byte) (map[string]int, [][]string, error) {
	var file map[string]json.RawMessage
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, nil, fmt.Errorf("aliases: %w", err)
	}
	m, aliases := map[string]int{}, make([][]string, len(Columns))
	add := func(alias string, ci int) error {
		k := headerKey(alias)
		if k == "" {
			return fmt.Errorf("aliases: an empty alias for %s", Columns[ci].Name)
		}
		if prev, ok := m[k]; ok && prev != ci {
			return fmt.Errorf("aliases: %q would mean both %s and %s", alias, Columns[prev].Name, Columns[ci].Name)
		}
		m[k] = ci
		return nil
	}
	for i, c := range Columns {
		if err := add(c.Name, i); err != nil {
			return nil, nil, err
		}
	}
	// Columns in their template order, so that a clash is always reported
	// the same way (a map's order is random).
	names := slices.SortedFunc(maps.Keys(file), func(a, b string) int {
		return cmp.Compare(columnIndex(a), columnIndex(b))
	})
	for _, name := range names {
		rawLangs := file[name]
		if strings.HasPrefix(name, "_") { // a comment
			continue
		}
		ci := columnIndex(name)
		if ci < 0 {
			return nil, nil, fmt.Errorf("aliases: %q is not a column", name)
		}
		var langs map[string][]string
		if err := json.Unmarshal(rawLangs, &langs); err != nil {
			return nil, nil, fmt.Errorf("aliases of %s: %w", name, err)
		}
		var all []string
		// English first (the spec's own aliases), then the others by code.
		order := slices.SortedFunc(maps.Keys(langs), func(a, b string) int {
			if (a == "en") != (b == "en") {
				if a == "en" {
					return -1
				}
				return 1
			}
			return strings.Compare(a, b)
		})
		for _, lang := range order {
			for _, a := range langs[lang] {
				if err := add(a, ci); err != nil {
					return nil, nil, err
				}
				all = append(all, a)
			}
		}
		aliases[ci] = all
	}
	return m, aliases, nil
}

// columnIndex is the position of the column called name, -1 if none is.
func columnIndex(name string) int {
	return slices.IndexFunc(Columns, func(c column) bool { return c.Name == name })
}

package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
)

// Change kinds of a diff.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Change is one difference between two policy documents: a rule, a
// market, a scheme's tiers, or a setting of the document itself.
type Change struct {
	Part   string        `json:"part"` // rule, market, tier, document
	Key    string        `json:"key"`  // the rule's code, market's code, scheme's code or setting's name
	Kind   string        `json:"kind"` // added, removed or changed
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field of a changed part, each side as JSON ("" when absent).
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Diff compares two policy documents rule by rule (rules are matched by
// code, a code used twice by its occurrence), market by market and scheme
// by scheme, in that order; the version itself is not a difference. Two
// documents that differ only in the order of their maps have no changes.
func Diff(from, to *Document) []Change {
	var out []Change
	out = append(out, diffSettings(from, to)...)
	out = append(out, diffKeyed("rule", ruleMap(from.Rules), ruleMap(to.Rules))...)
	out = append(out, diffKeyed("market", fieldsOfMap(from.Markets), fieldsOfMap(to.Markets))...)
	out = append(out, diffKeyed("tier", fieldsOfMap(from.Tiers.Schemes), fieldsOfMap(to.Tiers.Schemes))...)
	return out
}

func diffSettings(from, to *Document) []Change {
	var out []Change
	for _, s := range []struct {
		name     string
		from, to any
	}{
		{"name", from.Name, to.Name},
		{"description", from.Description, to.Description},
		{"out_of_scope_categories", from.OutOfScopeCategories, to.OutOfScopeCategories},
		{"tiers.version", from.Tiers.Version, to.Tiers.Version},
		{"tiers.basis", from.Tiers.Basis, to.Tiers.Basis},
	} {
		if a, b := jsonText(s.from), jsonText(s.to); a != b {
			out = append(out, Change{Part: "document", Key: s.name, Kind: Changed, Fields: []FieldChange{{Field: s.name, From: a, To: b}}})
		}
	}
	return out
}

// keyed is a part's items, each as its JSON fields, by key, in order.
type keyed struct {
	keys  []string
	byKey map[string]map[string]json.RawMessage
}

// ruleMap keys rules by code; the second rule with a code is "CODE #2".
func ruleMap(rules []Rule) keyed {
	seen := map[string]int{}
	out := keyed{byKey: map[string]map[string]json.RawMessage{}}
	for _, r := range rules {
		seen[r.Code]++
		key := r.Code
		if n := seen[r.Code]; n > 1 {
			key = fmt.Sprintf("%s #%d", r.Code, n)
		}
		out.keys = append(out.keys, key)
		out.byKey[key] = jsonFields(r)
	}
	return out
}

// fieldsOfMap keys a map's values by their key, in key order.
func fieldsOfMap[V any](m map[string]V) keyed {
	out := keyed{keys: slices.Sorted(maps.Keys(m)), byKey: make(map[string]map[string]json.RawMessage, len(m))}
	for _, k := range out.keys {
		out.byKey[k] = jsonFields(m[k])
	}
	return out
}

// diffKeyed lists what was removed, changed or added: removed and changed
// in the old order, then added in the new one.
func diffKeyed(part string, from, to keyed) []Change {
	var out []Change
	for _, k := range from.keys {
		b, ok := to.byKey[k]
		if !ok {
			out = append(out, Change{Part: part, Key: k, Kind: Removed})
			continue
		}
		if f := fieldChanges(from.byKey[k], b); len(f) > 0 {
			out = append(out, Change{Part: part, Key: k, Kind: Changed, Fields: f})
		}
	}
	for _, k := range to.keys {
		if _, ok := from.byKey[k]; !ok {
			out = append(out, Change{Part: part, Key: k, Kind: Added, Fields: fieldChanges(nil, to.byKey[k])})
		}
	}
	return out
}

func fieldChanges(a, b map[string]json.RawMessage) []FieldChange {
	names := map[string]bool{}
	for k := range a {
		names[k] = true
	}
	for k := range b {
		names[k] = true
	}
	var out []FieldChange
	for _, k := range slices.Sorted(maps.Keys(names)) {
		if !sameJSON(a[k], b[k]) {
			out = append(out, FieldChange{Field: k, From: string(a[k]), To: string(b[k])})
		}
	}
	return out
}

// jsonFields is a value's JSON object, field by field, as its JSON encoding writes it.
func jsonFields(v any) map[string]json.RawMessage {
	raw, _ := json.Marshal(v) // documents are plain data: they always encode
	var out map[string]json.RawMessage
	_ = json.Unmarshal(raw, &out)
	return out
}

// sameJSON compares two encodings by what they say: maps in any order are equal.
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	return reflect.DeepEqual(x, y)
}

func jsonText(v any) string {
	raw, _ := json.Marshal(v)
	if string(raw) == "null" || string(raw) == `""` {
		return ""
	}
	return string(raw)
}

// Diff compares two stored versions, from one to the other.
func (s *Store) Diff(ctx context.Context, from, to string) ([]Change, error) {
	_, a, err := s.Get(ctx, from)
	if err != nil {
		return nil, err
	}
	_, b, err := s.Get(ctx, to)
	if err != nil {
		return nil, err
	}
	return Diff(a, b), nil
}

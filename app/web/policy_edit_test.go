package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

// The active policy downloads as a file that uploads again once its version
// is changed (the old JSON wrapper was refused as `unknown field
// "document"`), and the new version's diff names the rule that changed.
func TestThePolicyDownloadsAsAnUploadableFileAndItsEditShowsInTheDiff(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	rec := w.request("admin", "GET", "/api/v1/policies/"+w.policyVersion+"/document", nil)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Disposition"), `filename="policy-`) {
		t.Fatalf("download: %d %v", rec.Code, rec.Header())
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc["version"] != w.policyVersion || doc["document"] != nil {
		t.Fatalf("not the document itself: %v %.200s", err, rec.Body.String())
	}
	doc["version"] = "2099-edited"
	rules := doc["rules"].([]any)
	rules[0].(map[string]any)["severity"] = "warn"
	edited, _ := json.Marshal(doc)
	if rec := w.request("admin", "POST", "/api/v1/policies", edited); rec.Code != 201 {
		t.Fatalf("the downloaded file does not upload again: %d %s", rec.Code, rec.Body.String())
	}
	rec = w.request("buyer", "GET", "/api/v1/policies/2099-edited/diff", nil)
	var diff struct {
		From, To string
		Changes  []struct {
			Part, Key, Kind string
			Fields          []struct{ Field, From, To string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &diff); err != nil || rec.Code != 200 {
		t.Fatalf("diff: %d %s", rec.Code, rec.Body.String())
	}
	if diff.From != w.policyVersion || diff.To != "2099-edited" || len(diff.Changes) != 1 || diff.Changes[0].Part != "rule" ||
		diff.Changes[0].Fields[0].Field != "severity" || diff.Changes[0].Fields[0].To != `"warn"` {
		t.Fatalf("diff %+v", diff)
	}
	if rec := w.request("admin", "GET", "/api/v1/policies/2099-edited/diff?against=2099-edited", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"changes":[]`) {
		t.Fatalf("a version against itself: %d %s", rec.Code, rec.Body.String())
	}
	if rec := w.request("admin", "GET", "/api/v1/policies/no-such/diff", nil); rec.Code != 404 {
		t.Fatalf("unknown version: %d", rec.Code)
	}
}

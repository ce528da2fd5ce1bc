package imports

import (
	"encoding/json"
	"testing"
)

// TestABatchWithoutWarningsAnswersAnEmptyListNotNull: the batch a POST
// answers and the one a GET reads back say "no warnings" the same way.
func TestABatchWithoutWarningsAnswersAnEmptyListNotNull(t *testing.T) {
	for _, b := range []Batch{{}, {Warnings: Warnings{}, Headers: Headers{}}} {
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"warnings", "headers"} {
			if list, ok := got[field].([]any); !ok || len(list) != 0 {
				t.Errorf("%s = %#v in %s, want []", field, got[field], out)
			}
		}
	}
}

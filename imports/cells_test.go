package imports

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestTheCellSpoolGivesBackTheRowsAsWritten(t *testing.T) {
	s, err := newCellSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, err := os.Stat(s.f.Name()); !os.IsNotExist(err) {
		t.Fatalf("the spool file is visible in the temporary folder: %v", err)
	}
	written := map[int][]string{}
	for row := 2; row < 5002; row++ {
		cells := []string{fmt.Sprint("SKU-", row), "", strings.Repeat("x", row%300)}
		if row == 7 {
			cells = []string{"Grüße, \"quoted\"\nnew line", "\x00\x1f\x1e", "=1+1", strings.Repeat("🙂", 20_000)}
		}
		written[row] = cells
		if err := s.add(row, cells); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range [][]int{{7}, {5001, 2, 7, 7}, {}} {
		got, err := s.rows(want)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(slices.Compact(slices.Sorted(slices.Values(want)))) {
			t.Fatalf("%v: got %d rows", want, len(got))
		}
		for _, row := range want {
			if !slices.Equal(got[row], written[row]) {
				t.Errorf("row %d: %q, want %q", row, got[row], written[row])
			}
		}
	}
	if _, err := s.rows([]int{9999}); err == nil {
		t.Error("a row never spooled was found")
	}
	// Rows added after a read follow the earlier ones.
	if err := s.add(6000, []string{"late"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.rows([]int{6000, 3}); err != nil || got[6000][0] != "late" || !slices.Equal(got[3], written[3]) {
		t.Fatalf("after a read: %v %v", got, err)
	}
}

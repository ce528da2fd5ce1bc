package imports

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestSpoolReplaysEveryRowAsWritten(t *testing.T) {
	s, err := newSpool(3)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"", "", ""},
		{"SKU-1", "Grüße, \"quoted\"\nnew line", "\x00\x1f\x1e"},
		{strings.Repeat("x", 70_000), "=1+1", "🙂"},
	}
	for i := range 5000 {
		want = append(want, []string{fmt.Sprint("SKU-", i), fmt.Sprint(i * i), ""})
	}
	for i, row := range want {
		if err := s.add(i+2, row, row[:i%4]); err != nil {
			t.Fatal(err)
		}
	}
	path := s.f.Name()
	for range 2 { // a spool can be replayed more than once
		n := 0
		err := s.each(func(row int, values, cells []string) error {
			if row != n+2 || !slices.Equal(values, want[n]) || !slices.Equal(cells, want[n][:n%4]) {
				t.Fatalf("row %d: got %d %q %q", n, row, values, cells)
			}
			n++
			return nil
		})
		if err != nil || n != len(want) {
			t.Fatalf("replayed %d of %d rows: %v", n, len(want), err)
		}
	}
	s.close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("spool file left behind: %v", err)
	}
}

func TestSpoolRefusesARowOfTheWrongWidth(t *testing.T) {
	s, err := newSpool(2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if err := s.add(2, []string{"one"}, nil); err == nil {
		t.Fatal("a row of one value was spooled for two fields")
	}
}

func TestRowSetHoldsExactlyTheRowsAdded(t *testing.T) {
	var s rowSet
	in := []int{0, 2, 63, 64, 65, 1_000_001}
	for _, n := range in {
		s.add(n)
	}
	for n := range 1_000_100 {
		if s.has(n) != slices.Contains(in, n) {
			t.Fatalf("has(%d) = %v", n, s.has(n))
		}
	}
}

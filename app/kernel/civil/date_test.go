package civil

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestAddMonthsClampsToTheLastDayOfTheMonth(t *testing.T) {
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"},
		{"2028-01-31", 1, "2028-02-29"},
		{"2026-11-24", 24, "2028-11-24"},
		{"2026-03-31", -1, "2026-02-28"},
		{"2026-12-15", 1, "2027-01-15"},
	}
	for _, c := range cases {
		d, _ := Parse(c.from)
		if got := d.AddMonths(c.n).String(); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.from, c.n, got, c.want)
		}
	}
}

func TestDateRoundTripsThroughSQLAndJSON(t *testing.T) {
	d, err := Parse("2028-06-30")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := d.Value()
	var back Date
	if err := back.Scan(v); err != nil || back != d {
		t.Fatalf("scan %v: %v %v", v, back, err)
	}
	if err := back.Scan("2028-06-30T00:00:00Z"); err != nil || back != d {
		t.Fatalf("scan timestamp text: %v %v", back, err)
	}
	var zero Date
	if v, _ := zero.Value(); v != nil {
		t.Fatalf("zero date stored as %v, want NULL", v)
	}
	b, _ := json.Marshal(struct{ D, Z Date }{d, zero})
	if string(b) != `{"D":"2028-06-30","Z":null}` {
		t.Fatalf("json %s", b)
	}
	if _, err := Parse("2028-02-30"); err == nil {
		t.Fatal("accepted 30 February")
	}
}

func TestStringIsZeroPaddedISO(t *testing.T) {
	for _, d := range []Date{{1, 1, 1}, {999, 9, 9}, {2026, 11, 24}, {2029, 12, 31}, {12345, 10, 10}, {-5, 1, 2}} {
		if got, want := d.String(), fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day); got != want {
			t.Errorf("%#v.String() = %q, want %q", d, got, want)
		}
	}
	if got := (Date{}).String(); got != "" {
		t.Errorf("zero date = %q", got)
	}
}

// The arithmetic works on fields and day numbers; package time is the
// oracle, for every day of eight centuries and steps across month, year
// and leap-day boundaries.
func TestDateArithmeticAgreesWithPackageTime(t *testing.T) {
	steps := []int{-800, -366, -365, -90, -31, -1, 0, 1, 28, 29, 30, 31, 59, 90, 365, 366, 730, 1461}
	months := []int{-25, -24, -13, -12, -1, 0, 1, 2, 11, 12, 13, 24, 100}
	for day := time.Date(1599, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2402; day = day.AddDate(0, 0, 1) {
		d := Of(day)
		for _, n := range steps {
			if got, want := d.AddDays(n), Of(day.AddDate(0, 0, n)); got != want {
				t.Fatalf("%s + %d days = %s, want %s", d, n, got, want)
			}
			o := Of(day.AddDate(0, 0, n))
			if got, want := d.Compare(o), day.Compare(o.Time()); got != want {
				t.Fatalf("%s compared with %s = %d, want %d", d, o, got, want)
			}
			if d.Before(o) != day.Before(o.Time()) || d.After(o) != day.After(o.Time()) {
				t.Fatalf("%s before/after %s disagrees with time", d, o)
			}
		}
		if day.Day() >= 28 || day.Day() == 1 {
			for _, n := range months {
				first := time.Date(day.Year(), day.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
				last := first.AddDate(0, 1, -1).Day()
				want := Date{first.Year(), first.Month(), min(day.Day(), last)}
				if got := d.AddMonths(n); got != want {
					t.Fatalf("%s + %d months = %s, want %s", d, n, got, want)
				}
			}
		}
	}
}

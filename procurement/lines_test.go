package procurement_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/procurement"
)

func TestParsePriceAcceptsOnlyPlainDecimalsOfAtLeastZero(t *testing.T) {
	cases := []struct{ in, want string }{
		{"12.50", "12.50"}, {"0", "0"}, {"0.5", "0.5"}, {"007.25", "7.25"}, {" 79.99 ", "79.99"}, {"", ""},
		{"999999999999.9999", "999999999999.9999"},
	}
	for _, c := range cases {
		if got, err := procurement.ParsePrice(c.in); err != nil || got != c.want {
			t.Errorf("ParsePrice(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"-1", "-0.01", "+5", "NaN", "nan", "Infinity", "-Inf", "=1+1", "@SUM(A1)", "1e3", "1E-2", "0x10",
		"1,000.00", "12.", ".5", "12.345678", "1000000000000", "12,50", "£12", "12 GBP", "1_000", "١٢"} {
		if got, err := procurement.ParsePrice(bad); err == nil {
			t.Errorf("ParsePrice(%q) = %q, want an error", bad, got)
		}
	}
}

func TestParseCurrencyAcceptsISO4217CodesInAnyCase(t *testing.T) {
	for in, want := range map[string]string{"GBP": "GBP", "gbp": "GBP", "Eur": "EUR", " usd ": "USD", "JPY": "JPY", "": ""} {
		if got, err := procurement.ParseCurrency(in); err != nil || got != want {
			t.Errorf("ParseCurrency(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"XXX", "XTS", "ABC", "GB", "GBPX", "£", "=1+1", "pounds", "EU R"} {
		if got, err := procurement.ParseCurrency(bad); err == nil {
			t.Errorf("ParseCurrency(%q) = %q, want an error", bad, got)
		}
	}
}

// TestOrderLinesAcceptOnlySaneValues adds lines with each kind of bad value:
// each is refused with its code and the field it names, and the order keeps
// no line; good values are stored normalised.
func TestOrderLinesAcceptOnlySaneValues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order()
		today := civil.Today()
		ok := func(f func(*procurement.NewLine)) procurement.NewLine {
			l := line(w.camera, today.AddDays(30).String())
			f(&l)
			return l
		}
		bad := []struct {
			name, code, field string
			line              procurement.NewLine
		}{
			{"negative price", "INVALID_UNIT_PRICE", "unit_price", ok(func(l *procurement.NewLine) { l.UnitPrice = "-1.00" })},
			{"NaN price", "INVALID_UNIT_PRICE", "unit_price", ok(func(l *procurement.NewLine) { l.UnitPrice = "NaN" })},
			{"infinite price", "INVALID_UNIT_PRICE", "unit_price", ok(func(l *procurement.NewLine) { l.UnitPrice = "Infinity" })},
			{"formula price", "INVALID_UNIT_PRICE", "unit_price", ok(func(l *procurement.NewLine) { l.UnitPrice = "=1+1" })},
			{"exponent price", "INVALID_UNIT_PRICE", "unit_price", ok(func(l *procurement.NewLine) { l.UnitPrice = "1e9" })},
			{"unknown currency", "INVALID_CURRENCY", "currency", ok(func(l *procurement.NewLine) { l.Currency = "ABC" })},
			{"currency text", "INVALID_CURRENCY", "currency", ok(func(l *procurement.NewLine) { l.Currency = "<script>" })},
			{"price without currency", "MISSING_CURRENCY", "currency", ok(func(l *procurement.NewLine) { l.Currency = "" })},
			{"delivery in 9999", "DELIVERY_TOO_FAR", "delivery_date", ok(func(l *procurement.NewLine) { l.DeliveryDate = date("9999-12-31") })},
			{"delivery a day past the horizon", "DELIVERY_TOO_FAR", "delivery_date", ok(func(l *procurement.NewLine) { l.DeliveryDate = today.AddMonths(60).AddDays(1) })},
			{"delivery yesterday", "DELIVERY_IN_THE_PAST", "delivery_date", ok(func(l *procurement.NewLine) { l.DeliveryDate = today.AddDays(-1) })},
			{"no delivery date", "MISSING_DELIVERY_DATE", "delivery_date", ok(func(l *procurement.NewLine) { l.DeliveryDate = civil.Date{} })},
			{"no quantity", "INVALID_QUANTITY", "quantity", ok(func(l *procurement.NewLine) { l.Quantity = 0 })},
		}
		for _, c := range bad {
			_, err := w.svc.AddLine(w.buyer, o.ID, o.Version, c.line)
			e, isErr := errs.As(err)
			if !isErr || e.Code != c.code || e.Kind != errs.Invalid {
				t.Errorf("%s: got %v, want %s", c.name, err, c.code)
				continue
			}
			if fields := fieldErrors(e); len(fields) != 1 || fields[0].Field != c.field || fields[0].Message == "" {
				t.Errorf("%s: field errors %+v, want one for %s", c.name, e.Details, c.field)
			}
		}
		// Several faults at once: each field is named.
		_, err := w.svc.AddLine(w.buyer, o.ID, o.Version, ok(func(l *procurement.NewLine) {
			l.UnitPrice, l.Currency, l.DeliveryDate = "-3", "ZZZ", date("9999-01-01")
		}))
		if e, _ := errs.As(err); e == nil || len(fieldErrors(e)) != 3 {
			t.Errorf("three faults: %v", err)
		}
		if got, _ := w.svc.Order(w.buyer, o.ID); len(got.Lines) != 0 {
			t.Fatalf("a refused line was stored: %+v", got.Lines)
		}

		good := []struct {
			name            string
			line            procurement.NewLine
			price, currency string
		}{
			{"price and lower-case currency", ok(func(l *procurement.NewLine) { l.UnitPrice, l.Currency = "0012.50", "eur" }), "12.50", "EUR"},
			{"free of charge", ok(func(l *procurement.NewLine) { l.UnitPrice = "0" }), "0", "GBP"},
			{"no price yet", ok(func(l *procurement.NewLine) { l.UnitPrice, l.Currency = "", "" }), "", ""},
			{"delivery on the horizon's last day", ok(func(l *procurement.NewLine) { l.DeliveryDate = today.AddMonths(60) }), "79.99", "GBP"},
			{"delivery today", ok(func(l *procurement.NewLine) { l.DeliveryDate = today }), "79.99", "GBP"},
		}
		for i, c := range good {
			var err error
			if o, err = w.svc.AddLine(w.buyer, o.ID, o.Version, c.line); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if l := o.Lines[i]; l.UnitPrice != c.price || l.Currency != c.currency || l.DeliveryDate != c.line.DeliveryDate {
				t.Errorf("%s: stored %q %q %s", c.name, l.UnitPrice, l.Currency, l.DeliveryDate)
			}
		}
	})
}

// TestTheDeliveryHorizonIsConfigurable: a service with a one-year horizon
// refuses a delivery in two years that the default accepts.
func TestTheDeliveryHorizonIsConfigurable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		o := w.order()
		inTwoYears := line(w.camera, civil.Today().AddMonths(24).String())
		short := procurement.New(db)
		if err := short.SetDeliveryHorizon(1); err != nil {
			t.Fatal(err)
		}
		if _, err := short.AddLine(w.buyer, o.ID, o.Version, inTwoYears); errs.CodeOf(err) != "DELIVERY_TOO_FAR" {
			t.Fatalf("one-year horizon: %v", err)
		}
		if _, err := w.svc.AddLine(w.buyer, o.ID, o.Version, inTwoYears); err != nil {
			t.Fatalf("default horizon: %v", err)
		}
		for _, years := range []int{0, -1, 51} {
			if err := short.SetDeliveryHorizon(years); errs.CodeOf(err) != "INVALID_DELIVERY_HORIZON" {
				t.Errorf("horizon %d: %v", years, err)
			}
		}
	})
}

func fieldErrors(e *errs.Error) []errs.FieldError {
	fields, _ := e.Details.([]errs.FieldError)
	return fields
}

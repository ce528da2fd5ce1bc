package verdicts_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/catalog"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/catalog/verdicts"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// Who reads which security facts card (SPEC §7): behind sign-in by
// default; with public cards on, anyone reads the cards of products the
// gate allows in the market's retail channel, and a blocked, unknown or not
// offered product is the same UNKNOWN_PRODUCT as one nobody offers; signed-in
// users see every card they may (a supplier its own, and with public cards
// also the public ones), a blocked product's marked blocked.
func TestWhoReadsASecurityFactsCard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		off, acme := world(t, db)
		on := off.WithPublicFacts(true)
		other, err := vendors.NewStore(db).Create(admin, "Other Distribution Ltd")
		if err != nil {
			t.Fatal(err)
		}
		// Other offers Acme's camera with a universal default password: a disputed offer, blocked.
		path := filepath.Join(t.TempDir(), "other.csv")
		csv := "sku,gtin,brand,model,category,markets,password_model\nOT-CAM,4006381333931,Acme,AC-CAM-1,smart_camera,UK,universal_default\n"
		if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}
		im := imports.New(db, imports.DefaultLimits)
		im.OnCommit = verdicts.AfterImport
		if _, err := im.Import(admin, imports.Request{SupplierID: other.ID, FileName: "other.csv", Path: path}); err != nil {
			t.Fatal(err)
		}

		anonymous := context.Background()
		as := func(r access.Role, supplier int64) context.Context {
			return access.With(context.Background(), access.Principal{UserID: 7, Role: r, SupplierID: supplier})
		}
		manager, acmeUser, otherUser := as(access.CategoryManager, 0), as(access.Supplier, acme.ID), as(access.Supplier, other.ID)
		const (
			camera  = "4006381333931" // Acme's, allowed in UK; Other's disputed offer of it is blocked
			bulb    = "4012345000009" // Acme's, blocked in UK (universal default password)
			router  = "5901234123457" // Acme's, allowed in UK, not offered in the US
			unknown = "5012345678900" // nobody's
		)
		cases := []struct {
			who    string
			ctx    context.Context
			public bool
			gtin   string
			market string
			want   string // "allowed", "blocked", "public" (an allowed card marked Public), or an error code
		}{
			{"anonymous, cards private", anonymous, false, camera, "UK", "UNAUTHENTICATED"},
			{"anonymous, cards private, unknown", anonymous, false, unknown, "UK", "UNAUTHENTICATED"},
			{"anonymous, public: allowed", anonymous, true, camera, "UK", "public"},
			{"anonymous, public: blocked", anonymous, true, bulb, "UK", "UNKNOWN_PRODUCT"},
			{"anonymous, public: not offered", anonymous, true, router, "US", "UNKNOWN_PRODUCT"},
			{"anonymous, public: unknown", anonymous, true, unknown, "UK", "UNKNOWN_PRODUCT"},
			{"anonymous, public: bad GTIN", anonymous, true, "123", "UK", "INVALID_GTIN"},
			{"manager: allowed", manager, false, camera, "UK", "allowed"},
			{"manager: blocked", manager, false, bulb, "UK", "blocked"},
			{"manager, public: blocked still shown", manager, true, bulb, "UK", "blocked"},
			{"manager: not offered", manager, true, router, "US", "UNKNOWN_PRODUCT"},
			{"supplier: its own blocked", acmeUser, false, bulb, "UK", "blocked"},
			{"supplier: its own disputed offer", otherUser, false, camera, "UK", "blocked"},
			{"supplier: another's, cards private", otherUser, false, router, "UK", "UNKNOWN_PRODUCT"},
			{"supplier: another's, public", otherUser, true, router, "UK", "public"},
			{"supplier: another's blocked, public", otherUser, true, bulb, "UK", "UNKNOWN_PRODUCT"},
		}
		var notFound string
		for _, c := range cases {
			svc := off
			if c.public {
				svc = on
			}
			card, err := svc.Facts(c.ctx, c.gtin, c.market)
			got := errs.CodeOf(err)
			switch {
			case err != nil && got == "":
				t.Fatalf("%s: %v", c.who, err)
			case err == nil && card.Public:
				got = "public"
			case err == nil:
				got = card.Verdict
			}
			if got != c.want {
				t.Errorf("%s: %s, want %s", c.who, got, c.want)
			}
			if got == "public" && card.Blocked() {
				t.Errorf("%s: a public card is blocked: %+v", c.who, card)
			}
			if got == "blocked" && card.Verdict != policy.Blocked {
				t.Errorf("%s: verdict %s", c.who, card.Verdict)
			}
			// The public answer for a blocked or not offered product is word for
			// word the one for a GTIN nobody offers (but for the GTIN and market).
			if c.ctx == anonymous && c.public && got == "UNKNOWN_PRODUCT" {
				g, _ := catalog.NormaliseGTIN(c.gtin)
				msg := strings.NewReplacer(g, "G", c.market, "M").Replace(fmt.Sprint(errs.KindOf(err)) + " " + err.Error())
				if notFound == "" {
					notFound = msg
				} else if msg != notFound {
					t.Errorf("%s: %q differs from %q", c.who, msg, notFound)
				}
			}
		}
	})
}

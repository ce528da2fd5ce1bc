package web

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/templates"
)

// views is one of each page's view: the test below holds every page
// template to the type that fills it.
var views = []view{
	&homeView{}, &loginView{}, &errorView{},
	&dashboardView{}, &upcomingView{}, &schemesView{}, &factsView{}, &productsView{}, &productView{}, &listingsView{}, &impactView{}, &disputesView{},
	&ordersView{}, &orderView{}, &catalogueView{}, &waiversView{}, &evidenceView{},
	&supplierHomeView{}, &supplierImportView{}, &supplierCheckView{}, &mappingView{}, &unsubscribeView{}, &supplierProductsView{},
	&adminUsersView{}, &adminSuppliersView{}, &adminRegistriesView{}, &adminPoliciesView{}, &policyReviewView{}, &adminAuditView{},
	&apiDocsView{},
}

func TestEveryPageTemplateNamesOnlyFieldsItsViewHas(t *testing.T) {
	var names []string
	for _, v := range views {
		names = append(names, v.template())
	}
	slices.Sort(names)
	if pages := templates.Pages(); !slices.Equal(names, pages) {
		t.Fatalf("views fill %v, the page templates are %v: each page template needs exactly one view", names, pages)
	}
	for _, v := range views {
		t.Run(v.template(), func(t *testing.T) {
			// Every branch, statically: a rendering reaches only some.
			if err := templates.Check(v.template(), reflect.TypeOf(v)); err != nil {
				t.Errorf("%T does not fit %s:\n%v", v, v.template(), err)
			}
			// And rendered, zero, then signed in as each role.
			for _, me := range append([]*viewer{nil}, signedIn()...) {
				v.base().Me = me
				if _, err := templates.Render(v.template(), v); err != nil {
					t.Errorf("rendering %T as %v: %v", v, me, err)
				}
			}
		})
	}
}

func signedIn() []*viewer {
	var out []*viewer
	for _, r := range access.Roles {
		out = append(out, &viewer{access.Principal{UserID: 1, Email: "someone@example.com", Role: r}})
	}
	return out
}

func TestRoleChecksInTemplatesAreViewerMethods(t *testing.T) {
	for _, r := range access.Roles {
		v := &viewer{access.Principal{Role: r}}
		if got, want := v.IsBuyer(), r == access.Buyer; got != want {
			t.Errorf("%s: IsBuyer = %v, want %v", r, got, want)
		}
		if got, want := v.IsApprover(), r == access.Approver; got != want {
			t.Errorf("%s: IsApprover = %v, want %v", r, got, want)
		}
	}
	var nobody *viewer
	if nobody.IsBuyer() || nobody.IsApprover() {
		t.Error("a page nobody is signed in to has a role")
	}
}

func TestOnlyTheCSRFTemplateWritesTheCSRFField(t *testing.T) {
	files, err := filepath.Glob("../../templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(src), `name="csrf"`)
		if want := map[bool]int{true: 1, false: 0}[filepath.Base(f) == "layout.html"]; n != want {
			t.Errorf("%s writes the CSRF field %d times, want %d: use {{template \"csrf\" $.CSRF}}", f, n, want)
		}
	}
	// And a form renders with it.
	v := &ordersView{}
	v.Me, v.CSRF = &viewer{access.Principal{Role: access.Buyer}}, "tok-en"
	body, err := templates.Render(v.template(), v)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(body), `<input type="hidden" name="csrf" value="tok-en">`); n != 2 {
		t.Errorf("the orders page has %d CSRF fields, want 2 (sign out, new order)", n)
	}
}

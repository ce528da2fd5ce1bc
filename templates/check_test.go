package templates

import (
	"reflect"
	"strings"
	"testing"
	texttemplate "text/template"
	"time"
)

type checkItem struct {
	Name  string
	At    time.Time
	Tags  map[string]string
	Extra any
}

func (checkItem) Label() string { return "" }

type checkView struct {
	Title string
	Items []checkItem
	Item  checkItem
	Ptr   *checkItem
	N     int
}

func TestCheckFindsAWrongNameOnEveryBranch(t *testing.T) {
	tests := []struct {
		name, src string
		wrong     string // in the error; "" for none
	}{
		{"a field", `{{.Title}}`, ""},
		{"a misspelt field", `{{.Titel}}`, "no field or method Titel"},
		{"a field on a branch not taken", `{{if .N}}{{.Titel}}{{end}}`, "Titel"},
		{"a field in an else", `{{if .N}}{{else}}{{.Titel}}{{end}}`, "Titel"},
		{"a field of a ranged element", `{{range .Items}}{{.Name}}{{.Nmae}}{{end}}`, "no field or method Nmae"},
		{"the outer dot inside a range", `{{range .Items}}{{$.Title}}{{$.Ttle}}{{end}}`, "Ttle"},
		{"a range variable", `{{range $i, $it := .Items}}{{$it.Name}}{{$it.Nme}}{{end}}`, "Nme"},
		{"a declared variable", `{{$x := .Item}}{{$x.Name}}{{$x.Nam}}`, "Nam"},
		{"through a pointer in a with", `{{with .Ptr}}{{.Name}}{{.Naem}}{{end}}`, "Naem"},
		{"a method and its result", `{{.Item.Label}}{{.Item.At.Format "2006"}}`, ""},
		{"a method's result misused", `{{.Item.At.Formt "2006"}}`, "Formt"},
		{"a map is keyed by strings", `{{.Item.Tags.anything}}`, ""},
		{"an interface cannot be known", `{{.Item.Extra.Whatever}}`, ""},
		{"an index into a slice", `{{(index .Items 0).Name}}{{(index .Items 0).Nam}}`, "Nam"},
		{"a called template gets the type passed", `{{template "sub" .Item}}{{define "sub"}}{{.Name}}{{.Titl}}{{end}}`, "Titl"},
		{"a struct as a condition is always true", `{{with .Item}}{{end}}`, "always true"},
		{"an undefined template", `{{template "nope" .}}`, `no template "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := texttemplate.Must(texttemplate.New("page").Funcs(texttemplate.FuncMap(funcs)).Parse(tt.src))
			err := check(set, "page", reflect.TypeFor[*checkView]())
			switch {
			case tt.wrong == "" && err != nil:
				t.Fatalf("check(%s) = %v, want no error", tt.src, err)
			case tt.wrong != "" && (err == nil || !strings.Contains(err.Error(), tt.wrong)):
				t.Fatalf("check(%s) = %v, want an error naming %q", tt.src, err, tt.wrong)
			}
		})
	}
}

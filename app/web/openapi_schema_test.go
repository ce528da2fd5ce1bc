package web

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/civil"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
	"github.com/cascade-gate/cascade/catalog/policy"
	"github.com/cascade-gate/cascade/imports"
)

// schema is one JSON Schema (2020-12, as OpenAPI 3.1 has it) of the document.
type schema = map[string]any

// schemas turns Go types into JSON Schemas exactly as encoding/json writes
// them, so the document cannot drift from the code: a field that is not
// omitempty is required, a nil-able one without omitempty may be null, a
// named struct becomes a component. Field and type comments of the source
// become descriptions.
type schemas struct {
	components map[string]schema
	names      map[reflect.Type]string
	comments   *comments
}

func newSchemas() *schemas {
	return &schemas{components: map[string]schema{}, names: map[reflect.Type]string{}, comments: newComments()}
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	dateType     = reflect.TypeFor[civil.Date]()
	jsonText     = reflect.TypeFor[database.JSONText]()
	urlType      = reflect.TypeFor[outbound.URL]()
	roleType     = reflect.TypeFor[access.Role]()
	rawJSON      = reflect.TypeFor[json.RawMessage]()
	priceType    = reflect.TypeFor[unitPrice]()
	warningsType = reflect.TypeFor[imports.Warnings]()
	headersType  = reflect.TypeFor[imports.Headers]()
)

// fieldOverrides give the schema of fields whose Go type says less than
// their JSON does: JSON documents kept as text.
func (g *schemas) fieldOverride(owner reflect.Type, field string) (schema, bool) {
	reasons := func() schema { return nullable(g.array(reflect.TypeFor[policy.Reason]())) }
	switch owner.String() + "." + field {
	case "verdicts.Stored.Reasons", "procurement.Line.GateReasons":
		return reasons(), true
	case "verdicts.Stored.Evidence":
		return nullable(g.of(reflect.TypeFor[policy.Evidence]())), true
	}
	return nil, false
}

// nullable lets s be null too.
func nullable(s schema) schema {
	if t, ok := s["type"].(string); ok {
		out := schema{}
		for k, v := range s {
			out[k] = v
		}
		out["type"] = []string{t, "null"}
		return out
	}
	return schema{"anyOf": []schema{s, {"type": "null"}}}
}

func ref(name string) schema { return schema{"$ref": "#/components/schemas/" + name} }

func (g *schemas) array(elem reflect.Type) schema {
	return schema{"type": "array", "items": g.of(elem)}
}

// of is the schema of values of t as encoding/json writes them.
func (g *schemas) of(t reflect.Type) schema {
	switch t {
	case timeType:
		return schema{"type": "string", "format": "date-time"}
	case dateType:
		return schema{"type": []string{"string", "null"}, "format": "date", "description": "a date, YYYY-MM-DD; null when not set"}
	case urlType:
		return schema{"type": "string", "format": "uri"}
	case jsonText, rawJSON:
		return schema{"description": "a JSON document"}
	case roleType:
		roles := make([]string, len(access.Roles))
		for i, r := range access.Roles {
			roles[i] = string(r)
		}
		return schema{"type": "string", "enum": roles}
	case priceType:
		return schema{"type": []string{"number", "string", "null"}, "description": "a decimal ≥ 0, as a JSON number or a string such as \"12.50\""}
	case warningsType:
		return g.array(warningsType.Elem()) // never null: [] for none
	case headersType:
		return g.array(headersType.Elem())
	}
	if t.Kind() == reflect.Pointer {
		return nullable(g.of(t.Elem()))
	}
	if t.Implements(reflect.TypeFor[json.Marshaler]()) || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Marshaler]()) {
		panic(fmt.Sprintf("openapi: %s has its own MarshalJSON: say what it writes in schemas.of", t))
	}
	switch t.Kind() {
	case reflect.Bool:
		return schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return schema{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return schema{"type": "number"}
	case reflect.String:
		return schema{"type": "string"}
	case reflect.Interface:
		return schema{}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return schema{"type": "string", "contentEncoding": "base64"}
		}
		return nullable(g.array(t.Elem()))
	case reflect.Map:
		return nullable(schema{"type": "object", "additionalProperties": g.of(t.Elem())})
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t, false)
		}
		return g.component(t)
	}
	panic(fmt.Sprintf("openapi: no schema for %s", t))
}

// component registers a named struct under its type name (the package's
// name before it when another package has a type of that name).
func (g *schemas) component(t reflect.Type) schema {
	if name, ok := g.names[t]; ok {
		return ref(name)
	}
	name := t.Name()
	for other, n := range g.names {
		if n == name && other != t {
			pkg := filepath.Base(t.PkgPath())
			name = strings.ToUpper(pkg[:1]) + pkg[1:] + t.Name()
		}
	}
	g.names[t] = name
	g.components[name] = schema{} // placeholder against recursion
	s := g.object(t, false)
	if doc := g.comments.typeDoc(t); doc != "" {
		s["description"] = doc
	}
	g.components[name] = s
	return ref(name)
}

// object is the schema of a struct's fields; a request body (strict) refuses
// other properties and requires none of them (the handlers say what is missing).
func (g *schemas) object(t reflect.Type, request bool) schema {
	props := schema{}
	var required []string
	g.fields(t, t, props, &required, request)
	s := schema{"type": "object", "properties": props}
	if request {
		s["additionalProperties"] = false
	} else if len(required) > 0 {
		sort.Strings(required)
		s["required"] = required
	}
	return s
}

func (g *schemas) fields(owner, t reflect.Type, props schema, required *[]string, request bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, ft, props, required, request)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omitempty := strings.Contains(opts, "omitempty")
		var s schema
		if o, ok := g.fieldOverride(owner, f.Name); ok {
			s = o
		} else {
			s = g.of(f.Type)
		}
		if omitempty || request {
			s = notNull(s, f.Type) // an omitted nil is never written as null
		}
		if doc := g.comments.fieldDoc(owner, f.Name); doc != "" {
			s = describe(s, doc)
		}
		props[name] = s
		if !omitempty && !request {
			*required = append(*required, name)
		}
	}
}

// notNull undoes nullable for an omitempty pointer, slice or map.
func notNull(s schema, t reflect.Type) schema {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
	default:
		return s
	}
	if t == jsonText || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return s
	}
	if any, ok := s["anyOf"].([]schema); ok && len(any) == 2 && len(s) == 1 {
		return any[0]
	}
	if ts, ok := s["type"].([]string); ok && len(ts) == 2 && ts[1] == "null" {
		out := schema{}
		for k, v := range s {
			out[k] = v
		}
		out["type"] = ts[0]
		return out
	}
	return s
}

// describe gives s a description (next to a $ref, an annotation of it, as
// OpenAPI 3.1 has it).
func describe(s schema, doc string) schema {
	out := schema{}
	for k, v := range s {
		out[k] = v
	}
	out["description"] = doc // the field's own words over its type's
	return out
}

// comments are the doc and line comments of the module's struct types and
// their fields, read from the source.
type comments struct {
	root  string
	types map[string]string // "pkgpath.Type"
	field map[string]string // "pkgpath.Type.Field"
	read  map[string]bool
}

const modulePath = "github.com/cascade-gate/cascade"

func newComments() *comments {
	return &comments{root: "../..", types: map[string]string{}, field: map[string]string{}, read: map[string]bool{}}
}

func (c *comments) load(pkgPath string) {
	if c.read[pkgPath] || !strings.HasPrefix(pkgPath, modulePath) {
		return
	}
	c.read[pkgPath] = true
	dir := filepath.Join(c.root, strings.TrimPrefix(pkgPath, modulePath))
	entries, err := os.ReadDir(dir)
	if err != nil {
		panic(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			panic(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, sp := range gd.Specs {
				ts := sp.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				key := pkgPath + "." + ts.Name.Name
				c.types[key] = sentence(doc.Text())
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fl := range st.Fields.List {
					text := fl.Doc.Text()
					if text == "" {
						text = fl.Comment.Text()
					}
					for _, n := range fl.Names {
						c.field[key+"."+n.Name] = sentence(text)
					}
				}
			}
		}
	}
}

func (c *comments) typeDoc(t reflect.Type) string {
	c.load(t.PkgPath())
	return c.types[t.PkgPath()+"."+t.Name()]
}

func (c *comments) fieldDoc(t reflect.Type, field string) string {
	if t.Name() == "" {
		return ""
	}
	c.load(t.PkgPath())
	return c.field[t.PkgPath()+"."+t.Name()+"."+field]
}

// sentence is a comment as one line of prose.
func sentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsSpace(r) })
	return s
}

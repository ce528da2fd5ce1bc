package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// openAPIDocument is the OpenAPI 3.1 description of /api/v1, generated from
// the operation table and the Go types of the requests and responses
// (openapi_gen_test.go; a test fails when it is out of date).
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI serves the document; it is public, as documentation is.
func (s *Server) openAPI(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}

// apiDocs renders the document for people: every operation with its
// parameters, body, responses and error codes, and every schema.
func (s *Server) apiDocs(c *gin.Context) error {
	ref, err := apiReference()
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, "API reference", &apiDocsView{R: ref})
}

// apiDocsView is the API reference page: open to everyone, like the document.
type apiDocsView struct {
	pageData
	R apiRef
}

func (*apiDocsView) template() string { return "api_docs.html" }

// The parts of an OpenAPI document the reference page shows.
type (
	oaDoc struct {
		Info struct {
			Title       string `json:"title"`
			Version     string `json:"version"`
			Summary     string `json:"summary"`
			Description string `json:"description"`
		} `json:"info"`
		Paths      map[string]map[string]oaOperation `json:"paths"`
		Components struct {
			Schemas map[string]oaSchema `json:"schemas"`
		} `json:"components"`
	}
	oaOperation struct {
		OperationID string            `json:"operationId"`
		Summary     string            `json:"summary"`
		Description string            `json:"description"`
		Tags        []string          `json:"tags"`
		Security    *[]any            `json:"security"`
		Parameters  []oaParameter     `json:"parameters"`
		RequestBody *oaBody           `json:"requestBody"`
		Responses   map[string]oaBody `json:"responses"`
	}
	oaParameter struct {
		Name        string   `json:"name"`
		In          string   `json:"in"`
		Description string   `json:"description"`
		Required    bool     `json:"required"`
		Schema      oaSchema `json:"schema"`
	}
	oaBody struct {
		Description string                               `json:"description"`
		Content     map[string]struct{ Schema oaSchema } `json:"content"`
		Codes       []string                             `json:"x-codes"`
	}
	oaSchema struct {
		Ref         string              `json:"$ref"`
		Type        any                 `json:"type"`
		Format      string              `json:"format"`
		Description string              `json:"description"`
		Enum        []any               `json:"enum"`
		Items       *oaSchema           `json:"items"`
		Properties  map[string]oaSchema `json:"properties"`
		Required    []string            `json:"required"`
		AnyOf       []oaSchema          `json:"anyOf"`
		Additional  any                 `json:"additionalProperties"`
		MinLength   *int                `json:"minLength"`
		Minimum     *float64            `json:"minimum"`
		Maximum     *float64            `json:"maximum"`
	}
)

// The reference page's view of the document.
type (
	apiRef struct {
		Title, Version, Summary string
		Description             []textPart
		Groups                  []apiGroup
		Schemas                 []apiSchema
	}
	apiGroup struct {
		Tag        string
		Operations []apiOperation
	}
	apiOperation struct {
		ID, Method, Path, Summary string
		Description               []textPart
		Anonymous                 bool
		Parameters                []apiField
		Bodies                    []apiContent
		Responses                 []apiResponse
	}
	apiContent struct {
		Type   string
		Schema string // a type, with a link when it names a schema
		Anchor string
		Fields []apiField
	}
	apiResponse struct {
		Status      string
		Description []textPart
		Codes       []string
		Contents    []apiContent
	}
	apiSchema struct {
		Name, Description string
		Fields            []apiField
	}
	apiField struct {
		Name, In, Type, Anchor, Description string
		Required                            bool
	}
	// textPart is a run of a description: `code` in the document is Code.
	textPart struct {
		Text string
		Code bool
	}
)

// prose splits Markdown's `code` spans out of s and drops its ** emphasis.
func prose(s string) []textPart {
	var out []textPart
	for i, part := range strings.Split(strings.ReplaceAll(s, "**", ""), "`") {
		if part != "" {
			out = append(out, textPart{Text: part, Code: i%2 == 1})
		}
	}
	return out
}

var (
	apiRefOnce sync.Once
	apiRefDoc  apiRef
	apiRefErr  error
)

func apiReference() (apiRef, error) {
	apiRefOnce.Do(func() { apiRefDoc, apiRefErr = buildAPIReference(openAPIDocument) })
	return apiRefDoc, apiRefErr
}

func buildAPIReference(raw []byte) (apiRef, error) {
	var d oaDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return apiRef{}, fmt.Errorf("openapi.json: %w", err)
	}
	out := apiRef{Title: d.Info.Title, Version: d.Info.Version, Summary: d.Info.Summary, Description: prose(d.Info.Description)}
	groups := map[string]*apiGroup{}
	var tags []string
	paths := make([]string, 0, len(d.Paths))
	for p := range d.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		for _, method := range []string{"get", "post", "put", "patch", "delete"} {
			o, ok := d.Paths[p][method]
			if !ok {
				continue
			}
			tag := "other"
			if len(o.Tags) > 0 {
				tag = o.Tags[0]
			}
			g := groups[tag]
			if g == nil {
				g = &apiGroup{Tag: tag}
				groups[tag] = g
				tags = append(tags, tag)
			}
			op := apiOperation{ID: o.OperationID, Method: strings.ToUpper(method), Path: p, Summary: o.Summary, Description: prose(o.Description),
				Anonymous: o.Security != nil && len(*o.Security) == 0}
			for _, prm := range o.Parameters {
				t, a := typeName(prm.Schema)
				op.Parameters = append(op.Parameters, apiField{Name: prm.Name, In: prm.In, Type: t, Anchor: a, Description: prm.Description, Required: prm.Required})
			}
			if o.RequestBody != nil {
				op.Bodies = contents(o.RequestBody.Content, true)
			}
			codes := make([]string, 0, len(o.Responses))
			for st := range o.Responses {
				codes = append(codes, st)
			}
			sort.Strings(codes)
			for _, st := range codes {
				r := o.Responses[st]
				op.Responses = append(op.Responses, apiResponse{Status: st, Description: prose(r.Description), Codes: r.Codes, Contents: contents(r.Content, false)})
			}
			g.Operations = append(g.Operations, op)
		}
	}
	sort.Strings(tags)
	for _, t := range tags {
		out.Groups = append(out.Groups, *groups[t])
	}
	names := make([]string, 0, len(d.Components.Schemas))
	for n := range d.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := d.Components.Schemas[n]
		out.Schemas = append(out.Schemas, apiSchema{Name: n, Description: s.Description, Fields: fields(s)})
	}
	return out, nil
}

// contents lists a body's media types; a request's inline object, or an
// error, has its fields listed in place.
func contents(c map[string]struct{ Schema oaSchema }, inline bool) []apiContent {
	types := make([]string, 0, len(c))
	for t := range c {
		types = append(types, t)
	}
	sort.Strings(types)
	var out []apiContent
	for _, t := range types {
		s := c[t].Schema
		name, anchor := typeName(s)
		ac := apiContent{Type: t, Schema: name, Anchor: anchor}
		if s.Properties != nil && (inline || s.Ref == "") {
			ac.Fields = fields(s)
		}
		out = append(out, ac)
	}
	return out
}

func fields(s oaSchema) []apiField {
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []apiField
	for _, n := range names {
		p := s.Properties[n]
		t, a := typeName(p)
		desc := p.Description
		var limits []string
		if p.MinLength != nil {
			limits = append(limits, fmt.Sprintf("at least %d characters", *p.MinLength))
		}
		if p.Minimum != nil {
			limits = append(limits, fmt.Sprintf("≥ %v", *p.Minimum))
		}
		if p.Maximum != nil {
			limits = append(limits, fmt.Sprintf("≤ %v", *p.Maximum))
		}
		if len(limits) > 0 {
			desc = strings.TrimSpace(desc + " (" + strings.Join(limits, ", ") + ")")
		}
		out = append(out, apiField{Name: n, Type: t, Anchor: a, Description: desc, Required: req[n]})
	}
	return out
}

// typeName is a schema's type as a reader says it, and the anchor of the
// schema it names, if any.
func typeName(s oaSchema) (string, string) {
	if s.Ref != "" {
		n := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		return n, "schema-" + n
	}
	if len(s.AnyOf) > 0 {
		var parts []string
		anchor := ""
		for _, a := range s.AnyOf {
			t, an := typeName(a)
			parts = append(parts, t)
			if an != "" {
				anchor = an
			}
		}
		return strings.Join(parts, " or "), anchor
	}
	var ts []string
	switch t := s.Type.(type) {
	case string:
		ts = []string{t}
	case []any:
		for _, x := range t {
			ts = append(ts, fmt.Sprint(x))
		}
	}
	anchor := ""
	for i, t := range ts {
		switch t {
		case "array":
			if s.Items != nil {
				it, a := typeName(*s.Items)
				ts[i], anchor = "array of "+it, a
			}
		case "object":
			if sub, ok := s.Additional.(map[string]any); ok && len(sub) > 0 {
				ts[i] = "object (map)"
			}
		case "string":
			if s.Format != "" {
				ts[i] = "string (" + s.Format + ")"
			}
		}
	}
	if len(s.Enum) > 0 {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = fmt.Sprint(v)
		}
		ts = []string{"one of " + strings.Join(vals, ", ")}
	}
	if len(ts) == 0 {
		return "any JSON", ""
	}
	return strings.Join(ts, " or "), anchor
}

// Package templates holds Cascade's server-rendered pages, embedded in the
// binary so that it needs no files beside it.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
)

//go:embed *.html
var files embed.FS

//go:embed static
var static embed.FS

// Static holds the stylesheet and the small progressive-enhancement script.
func Static() fs.FS {
	sub, _ := fs.Sub(static, "static")
	return sub
}

var funcs = template.FuncMap{
	"join": strings.Join,
	"percent": func(part, whole int) int {
		if whole == 0 {
			return 0
		}
		return part * 100 / whole
	},
	"add":  func(a, b int) int { return a + b },
	"list": func(items ...string) []string { return items },
}

var pages = template.Must(template.New("").Funcs(funcs).ParseFS(files, "*.html"))

// Render executes the named page into a buffer, so a template error never
// leaves a half-written response behind.
func Render(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// Package templates holds Cascade's server-rendered pages, embedded in the
// binary so that it needs no files beside it.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
)

//go:embed *.html
var files embed.FS

var pages = template.Must(template.New("").ParseFS(files, "*.html"))

// Render executes the named page into a buffer, so a template error never
// leaves a half-written response behind.
func Render(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

package mail

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

//go:embed templates
var templateFiles embed.FS

var (
	textTemplates = texttemplate.Must(texttemplate.New("").Funcs(texttemplate.FuncMap{"join": strings.Join}).ParseFS(templateFiles, "templates/*.txt"))
	// html/template escapes what suppliers wrote (a SKU, a file name) in the HTML part.
	htmlTemplates = htmltemplate.Must(htmltemplate.New("").Funcs(htmltemplate.FuncMap{"join": strings.Join}).ParseFS(templateFiles, "templates/*.html"))
)

// render fills template name ("digest" or "summary") as text and as HTML.
func render(name string, data any) (text, html string, err error) {
	var t, h bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&t, name, data); err != nil {
		return "", "", err
	}
	if err := htmlTemplates.ExecuteTemplate(&h, name, data); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}

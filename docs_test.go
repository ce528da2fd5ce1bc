package main_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/web"
)

// maxREADME is what a newcomer reads in five minutes; the rest is in docs/.
const maxREADME = 10_000

func TestTheREADMEStaysUnder10KB(t *testing.T) {
	fi, err := os.Stat("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() >= maxREADME {
		t.Errorf("README.md has %d bytes, the limit is %d: move reference material to docs/", fi.Size(), maxREADME)
	}
}

// docs are the Markdown files whose links are checked.
func docs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md"}, files...)
}

// mdLink matches a Markdown link or image: [text](target) or ![alt](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// anchor is the id GitHub gives a heading: lower case, punctuation other
// than hyphens dropped, spaces made hyphens.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors lists the heading ids of a Markdown file.
func anchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	fenced := false
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(line, "#") {
			out[anchor(strings.TrimLeft(line, "#"))] = true
		}
	}
	return out
}

// TestEveryRelativeLinkInTheDocsPointsToAFileThatExists checks every link of
// README.md and docs/*.md that is not a URL: its file exists, and a
// #fragment into a Markdown file names one of its headings.
func TestEveryRelativeLinkInTheDocsPointsToAFileThatExists(t *testing.T) {
	checked := 0
	for _, doc := range docs(t) {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(raw), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, frag, _ := strings.Cut(target, "#")
			path := doc
			if file != "" {
				path = filepath.Join(filepath.Dir(doc), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which does not exist", doc, target)
				continue
			}
			if frag != "" && strings.HasSuffix(path, ".md") && !anchors(t, path)[frag] {
				t.Errorf("%s links to %s, but %s has no heading #%s", doc, target, path, frag)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d relative links found: is the link pattern still right?", checked)
	}
}

// TestTheAPIReferenceListsEveryRoute fails when a route is added to
// app/web's route table without a row in docs/api.md, written as
// `METHOD /path` exactly as registered.
func TestTheAPIReferenceListsEveryRoute(t *testing.T) {
	raw, err := os.ReadFile("docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	ref := string(raw)
	routes := web.New(dbtest.SQLite(t), slog.New(slog.NewTextHandler(io.Discard, nil))).Routes()
	if len(routes) < 50 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, r := range routes {
		if want := "`" + r.Method + " " + r.Path + "`"; !strings.Contains(ref, want) {
			t.Errorf("docs/api.md does not list %s", want)
		}
	}
}

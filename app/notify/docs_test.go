package notify_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/notify"
)

// snippet returns the first fenced block of lang in docs/api.md's section on
// verifying signatures.
func snippet(t *testing.T, lang string) string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "### Verifying a signature")
	if !ok {
		t.Fatal("docs/api.md has no section \"Verifying a signature\"")
	}
	_, block, ok := strings.Cut(section, "```"+lang+"\n")
	if !ok {
		t.Fatalf("the section has no %s snippet", lang)
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// TestTheDocumentedVerificationSnippetsAcceptOnlyRealSignatures runs the
// shell and Go snippets of docs/api.md on a signed body and a tampered one.
func TestTheDocumentedVerificationSnippetsAcceptOnlyRealSignatures(t *testing.T) {
	dir := t.TempDir()
	secret := "whsec_0123456789abcdef"
	body := []byte(`{"id":"whd_1","event":"verdict.changed","data":{"sku":"A 1\n","codes":["NO_CE_MARKING"]}}`)
	header := notify.Sign(secret, time.Now(), body)

	goProgram := `package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)
` + snippet(t, "go") + `
func main() {
	body, _ := os.ReadFile("body.json")
	if verify(os.Getenv("SECRET"), os.Getenv("SIG"), body) {
		fmt.Println("valid")
	} else {
		fmt.Println("INVALID")
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "verify.go"), []byte(goProgram), 0o600); err != nil {
		t.Fatal(err)
	}
	runners := map[string][]string{"sh": {"bash", "-c", snippet(t, "sh")}}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Log("openssl is not installed: the shell snippet is not run")
		delete(runners, "sh")
	}
	runners["go"] = []string{"go", "run", "verify.go"}
	for name, argv := range runners {
		for _, c := range []struct {
			body []byte
			want string
		}{{body, "valid"}, {[]byte(strings.Replace(string(body), "A 1", "A 2", 1)), "INVALID"}} {
			if err := os.WriteFile(filepath.Join(dir, "body.json"), c.body, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "SECRET="+secret, "SIG="+header)
			out, err := cmd.CombinedOutput()
			if got := strings.TrimSpace(string(out)); got != c.want {
				t.Errorf("%s snippet on %s: %q (%v), want %s", name, c.body, got, err, c.want)
			}
		}
	}
}

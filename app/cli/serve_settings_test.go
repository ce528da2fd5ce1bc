package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesAPublicSettingItCannotRead: a CASCADE_PUBLIC_FACTS that is
// not true or false, and a public URL that is not an http(s) URL, stop the
// server at start-up rather than pick a default silently.
func TestServeRefusesAPublicSettingItCannotRead(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "public.db")
	cases := []struct {
		name, env string
		args      []string
		code      string
	}{
		{name: "public facts neither true nor false", env: "yes please", code: "INVALID_SETTING"},
		{name: "a public URL without a scheme", args: []string{"--public-url", "cascade.example"}, code: "INVALID_PUBLIC_URL"},
		{name: "a public URL of another scheme", args: []string{"--public-url", "ftp://cascade.example"}, code: "INVALID_PUBLIC_URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CASCADE_PUBLIC_FACTS", c.env)
			r := run(t, dsn, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, c.code) {
				t.Errorf("exit %d, stderr %q; want %s", r.code, r.stderr, c.code)
			}
		})
	}
}

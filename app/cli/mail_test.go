package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestServeRefusesAMailConfigurationItCannotUse(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "mail.db")
	cases := map[string]struct {
		args []string
		code string
	}{
		"not an SMTP URL": {[]string{"--smtp-url", "http://mail.example"}, "INVALID_SMTP_URL"},
		"no From":         {[]string{"--smtp-url", "smtp://mail.example"}, "MISSING_MAIL_FROM"},
		"no public URL":   {[]string{"--smtp-url", "smtp://mail.example", "--mail-from", "gate@example.org"}, "MISSING_PUBLIC_URL"},
		"a bad schedule": {[]string{"--smtp-url", "smtp://mail.example", "--mail-from", "gate@example.org", "--public-url", "https://cascade.example",
			"--digest-schedule", "every morning"}, "digest schedule"},
	}
	for name, c := range cases {
		r := run(t, dsn, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.code) {
			t.Errorf("%s: exit %d, stderr %q; want %s", name, r.code, r.stderr, c.code)
		}
	}
}

package cli_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryRefreshReachesOnlyAllowedNetworksAndNeverPrintsCredentials:
// the CLI's fetches follow --allow-outbound-networks (or its environment
// variable), a bad CIDR is refused with a clear error, and source URLs are
// printed redacted.
func TestRegistryRefreshReachesOnlyAllowedNetworksAndNeverPrintsCredentials(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "cli.db")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("label_id,brand,model,status\nCSA/1,Acme,M-1,valid\n"))
	}))
	t.Cleanup(srv.Close)
	url := strings.Replace(srv.URL, "http://", "http://reg-user:hunter2@", 1) + "/list.csv?api_key=k-123"
	noSecrets := func(what string, r result) {
		t.Helper()
		for _, s := range []string{"reg-user", "hunter2", "k-123"} {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("%s prints %q: %s %s", what, s, r.stdout, r.stderr)
			}
		}
	}
	r := run(t, dsn, "", "registry", "source", "add", "--scheme", "SG-CLS", "--url", url)
	if r.code != 0 || !strings.Contains(r.stdout, "REDACTED@") {
		t.Fatalf("source add: %+v", r)
	}
	noSecrets("source add", r)

	r = run(t, dsn, "", "registry", "refresh")
	if r.code != 1 || !strings.Contains(r.stdout, "FAILED, last good snapshot kept: SOURCE_ADDRESS_REFUSED") {
		t.Errorf("refresh of a loopback source by default: %+v", r)
	}
	noSecrets("a refused refresh", r)
	r = run(t, dsn, "", "registry", "refresh", "--allow-outbound-networks", "10.0.0.0/8,intranet")
	if r.code != 1 || !strings.Contains(r.stderr, "INVALID_NETWORK") || !strings.Contains(r.stderr, `"intranet"`) {
		t.Errorf("a bad network: %+v", r)
	}
	r = run(t, dsn, "", "serve", "--addr", "127.0.0.1:0", "--allow-outbound-networks", "300.0.0.0/8")
	if r.code != 1 || !strings.Contains(r.stderr, "INVALID_NETWORK") {
		t.Errorf("serve with a bad network: %+v", r)
	}
	r = run(t, dsn, "", "registry", "refresh", "--allow-outbound-networks", "127.0.0.0/8")
	if r.code != 0 || !strings.Contains(r.stdout, "snapshot 1, 1 entries") {
		t.Errorf("refresh with loopback allowed: %+v", r)
	}
	noSecrets("a refresh", r)
	t.Setenv("CASCADE_ALLOW_OUTBOUND_NETWORKS", "127.0.0.1/32")
	if r = run(t, dsn, "", "registry", "refresh"); r.code != 0 {
		t.Errorf("refresh with loopback allowed in the environment: %+v", r)
	}
	r = run(t, dsn, "", "registry", "source", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "REDACTED@") || !strings.Contains(r.stdout, "api_key=REDACTED") {
		t.Errorf("source list: %+v", r)
	}
	noSecrets("source list", r)
	r = run(t, dsn, "", "registry", "snapshots", "--scheme", "SG-CLS")
	noSecrets("snapshots", r)
}

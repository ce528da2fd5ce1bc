package outbound

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

func TestCheckRefusesEveryInternalAddressUnlessItsNetworkIsAllowed(t *testing.T) {
	allow, err := ParseNetworks([]string{"10.20.0.0/16", "::ffff:192.168.7.0/120", "fd00:1::/64", "172.16.5.5"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr             string
		refused, allowed bool // by default; with allow
	}{
		{"127.0.0.1", true, true}, {"127.255.0.9", true, true}, {"::1", true, true},
		{"::ffff:127.0.0.1", true, true}, {"::ffff:10.0.0.1", true, true}, {"::127.0.0.1", true, true},
		{"0.0.0.0", true, true}, {"0.1.2.3", true, true}, {"::", true, true},
		{"10.0.0.1", true, true}, {"10.20.3.4", true, false}, {"::ffff:10.20.3.4", true, false},
		{"172.16.0.1", true, true}, {"172.16.5.5", true, false}, {"192.168.7.9", true, false}, {"192.168.8.9", true, true},
		{"169.254.169.254", true, true}, {"::ffff:169.254.169.254", true, true}, {"fe80::1", true, true}, {"fe80::1%eth0", true, true},
		{"100.64.0.1", true, true}, {"fc00::1", true, true}, {"fd00::1", true, true}, {"fd00:1::9", true, false},
		{"224.0.0.1", true, true}, {"ff02::1", true, true}, {"255.255.255.255", true, true}, {"240.0.0.1", true, true},
		{"64:ff9b::7f00:1", true, true}, {"64:ff9b::a00:1", true, true}, {"2002:7f00:1::", true, true},
		{"8.8.8.8", false, false}, {"::ffff:8.8.8.8", false, false}, {"64:ff9b::808:808", false, false}, {"2606:4700::1111", false, false},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.addr)
		if got := (Policy{}).Check(a) != nil; got != c.refused {
			t.Errorf("%s: refused %v by default, want %v", c.addr, got, c.refused)
		}
		if got := (Policy{Allow: allow}).Check(a) != nil; got != c.allowed {
			t.Errorf("%s: refused %v with %v allowed, want %v", c.addr, got, allow, c.allowed)
		}
	}
}

func TestABadNetworkIsRefusedWithAClearError(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "intranet", "10.0.0.0/8;", "fe80::1%eth0"} {
		if _, err := ParseNetworks([]string{s}); errs.CodeOf(err) != "INVALID_NETWORK" || !strings.Contains(err.Error(), s) {
			t.Errorf("%q: %v", s, err)
		}
	}
	nets, err := ParseNetworks([]string{" 10.1.2.3/8 ", "", "::1"})
	if err != nil || len(nets) != 2 || nets[0].String() != "10.0.0.0/8" || nets[1].String() != "::1/128" {
		t.Errorf("good networks: %v %v", nets, err)
	}
}

func TestNumericHostTricksAreRefusedBeforeAnyLookup(t *testing.T) {
	for host, refused := range map[string]bool{
		"0x7f000001": true, "2130706433": true, "017700000001": true, "0177.0.0.1": true, "127.1": true, "0x7f.1": true,
		"127.0.0.01": true, "1.2.3.4.5": true, "0x": true, "registry.example": false, "127.0.0.1": false, "::1": false,
		"1password.com": false, "x.0xbeef.example": false, "": true,
	} {
		if got := CheckHost(host) != nil; got != refused {
			t.Errorf("%q: refused %v, want %v", host, got, refused)
		}
	}
}

func TestRedirectsAreCappedAndEachIsChecked(t *testing.T) {
	var hits atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/numeric":
			http.Redirect(w, r, "http://2130706433"+strings.TrimPrefix(srv.URL, "http://127.0.0.1")+"/ok", http.StatusFound)
		default:
			w.Write([]byte("ok"))
		}
	}))
	t.Cleanup(srv.Close)
	c := Client(Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, MaxRedirects: 3})
	_, err := c.Get(srv.URL + "/loop")
	var re *RedirectError
	if !errors.As(err, &re) || hits.Load() != 4 {
		t.Errorf("redirect loop: %v after %d requests", err, hits.Load())
	}
	hits.Store(0)
	if _, err := c.Get(srv.URL + "/numeric"); !IsRefused(err) || hits.Load() != 1 {
		t.Errorf("redirect to a numeric host: %v after %d requests", err, hits.Load())
	}
	if resp, err := c.Get(srv.URL + "/ok"); err != nil {
		t.Errorf("allowed: %v", err)
	} else {
		resp.Body.Close()
	}
}

func TestNoProxyFromTheEnvironment(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	t.Setenv("HTTP_PROXY", "http://proxy.example:3128")
	tr := Client(Policy{}).Transport.(guard).next.(*http.Transport)
	if tr.Proxy != nil {
		t.Error("outgoing requests would go through the environment's proxy, which the address check cannot see past")
	}
}

func TestRedactHidesCredentialsAndKeepsTheRest(t *testing.T) {
	cases := map[string]string{
		"https://u:p@reg.example/a.csv":                                          "https://REDACTED@reg.example/a.csv",
		"https://u@reg.example/a.csv":                                            "https://REDACTED@reg.example/a.csv",
		"https://reg.example/a.csv?format=csv&api_key=k&Token=t":                 "https://reg.example/a.csv?format=csv&api_key=REDACTED&Token=REDACTED",
		"https://reg.example/a?KEY=1;sig=2&page=3":                               "https://reg.example/a?KEY=REDACTED;sig=REDACTED&page=3",
		"https://reg.example/a?access_token=1&secret=2&password=3":               "https://reg.example/a?access_token=REDACTED&secret=REDACTED&password=REDACTED",
		"https://s3.example/a?X-Amz-Signature=abc&X-Amz-Credential=x&v=1":        "https://s3.example/a?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&v=1",
		"https://reg.example/a?Signature=abc&client_secret=x&subscription-key=y": "https://reg.example/a?Signature=REDACTED&client_secret=REDACTED&subscription-key=REDACTED",
		"https://reg.example/a#access_token=abc":                                 "https://reg.example/a#REDACTED",
		"https://reg.example/list.csv?scheme=SG-CLS":                             "https://reg.example/list.csv?scheme=SG-CLS",
		"registry-2026.csv":                                                      "registry-2026.csv",
		"http://u:p@[::1/":                                                       "(a URL that cannot be parsed; not shown)",
	}
	for in, want := range cases {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

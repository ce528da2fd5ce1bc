// Package outbound is how Cascade makes every request to another server
// (registry sources today, webhooks tomorrow): an *http.Client that cannot
// be pointed inside the network it runs in.
//
// The check is made where it cannot be dodged: on the IP address each
// connection is about to dial, after DNS resolution, so a name that
// resolves inside (or re-resolves there: DNS rebinding) and every redirect
// (each dials again) are caught alike. Loopback, private, link-local,
// multicast, unspecified, shared (CGNAT) and reserved addresses are
// refused, IPv4-mapped IPv6 forms included, unless the operator allows
// their network (--allow-outbound-networks, for an on-premises mirror).
// Numeric host names that are not plain IP addresses (0x7f000001,
// 2130706433, 017700000001, 127.1), which some resolvers turn into
// addresses, are refused before any lookup.
package outbound

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// DefaultTimeout bounds a whole exchange, body included.
const DefaultTimeout = time.Minute

// DefaultMaxRedirects is how many redirects a request follows.
const DefaultMaxRedirects = 5

// Policy is what outgoing requests may reach.
type Policy struct {
	// Allow lists internal networks that may be reached all the same (an
	// on-premises mirror); every public address may be reached anyway.
	Allow        []netip.Prefix
	Timeout      time.Duration // 0 = DefaultTimeout
	MaxRedirects int           // 0 = DefaultMaxRedirects
}

// ParseNetworks reads the operator's allowed networks: CIDRs, or single
// addresses, as given to --allow-outbound-networks.
func ParseNetworks(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil || a.Zone() != "" {
				return nil, errs.Invalidf("INVALID_NETWORK", "%q is not a network: give CIDRs such as 10.20.0.0/16 or fd00:1::/64, comma-separated (--allow-outbound-networks, CASCADE_ALLOW_OUTBOUND_NETWORKS)", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 { // ::ffff:10.0.0.0/104 is 10.0.0.0/8
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// RefusedError is a request refused because of where it would go.
type RefusedError struct {
	Addr netip.Addr // the address refused; invalid for a refused host name
	Host string     // the host name refused, when no address was reached
	Why  string     // "loopback", "private", …
}

func (e *RefusedError) Error() string {
	what := e.Host
	if e.Addr.IsValid() {
		what = e.Addr.String()
	}
	return fmt.Sprintf("outbound request to %s refused: %s (an operator can allow a network with --allow-outbound-networks)", what, e.Why)
}

// RedirectError is a request that was redirected too often.
type RedirectError struct{ Max int }

func (e *RedirectError) Error() string {
	return fmt.Sprintf("outbound request stopped after %d redirects", e.Max)
}

// Check reports whether ip may be dialled under p.
func (p Policy) Check(ip netip.Addr) error {
	a := ip.WithZone("").Unmap()
	for _, n := range p.Allow {
		if n.Contains(a) {
			return nil
		}
	}
	if why := internal(a); why != "" {
		return &RefusedError{Addr: a, Why: why}
	}
	return nil
}

type namedPrefix struct {
	p   netip.Prefix
	why string
}

var reserved = []namedPrefix{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network (0.0.0.0/8)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (100.64.0.0/10)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4)"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible IPv6"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
}

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixToF4 = netip.MustParsePrefix("2002::/16")
)

// internal names the kind of non-public address a is, "" for a public one.
func internal(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "not an address"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	}
	for _, r := range reserved {
		if r.p.Contains(a) {
			return r.why
		}
	}
	// IPv6 forms that carry an IPv4 address the network turns them into.
	b := a.As16()
	if nat64.Contains(a) {
		if why := internal(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
			return "NAT64 of " + why
		}
	}
	if sixToF4.Contains(a) {
		if why := internal(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
			return "6to4 of " + why
		}
	}
	return ""
}

// CheckHost refuses host names that are numbers but not plain IP addresses:
// 0x7f000001, 2130706433, 017700000001, 0177.0.0.1, 127.1. No real name
// ends in a numeric label, and resolvers differ on what these mean.
func CheckHost(host string) error {
	if host == "" {
		return &RefusedError{Host: host, Why: "no host"}
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // a plain address: checked when dialled
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if isNumberLike(labels[len(labels)-1]) {
		return &RefusedError{Host: host, Why: "a numeric host name that is not a plain IP address"}
	}
	return nil
}

func isNumberLike(s string) bool {
	s = strings.ToLower(s)
	digits := "0123456789"
	if strings.HasPrefix(s, "0x") {
		s, digits = s[2:], "0123456789abcdef"
		if s == "" {
			return true
		}
	}
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(digits, r) {
			return false
		}
	}
	return true
}

// Client returns an HTTP client for outgoing requests under p. It uses no
// proxy from the environment: a proxy would make the connection for us, and
// the dial-time check would see only the proxy's address.
func Client(p Policy) *http.Client {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxRedirects := p.MaxRedirects
	if maxRedirects <= 0 {
		maxRedirects = DefaultMaxRedirects
	}
	dialer := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		// Called with the resolved address of every connection attempt.
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return &RefusedError{Host: address, Why: "not an IP address"}
			}
			return p.Check(ap.Addr())
		},
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: guard{transport},
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects { // via holds the first request and each redirect followed
				return &RedirectError{Max: maxRedirects}
			}
			return nil
		},
	}
}

// guard refuses what the dialer cannot see: a scheme other than http(s)
// and numeric host names, on the first request and on every redirect.
type guard struct{ next http.RoundTripper }

func (g guard) RoundTrip(r *http.Request) (*http.Response, error) {
	err := CheckHost(r.URL.Hostname())
	if err == nil && r.URL.Scheme != "http" && r.URL.Scheme != "https" {
		err = &RefusedError{Host: r.URL.Host, Why: "not an http(s) URL"}
	}
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	return g.next.RoundTrip(r)
}

// IsRefused reports whether err is a request refused for where it would go.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

package outbound

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Redacted replaces a credential wherever a URL is shown.
const Redacted = "REDACTED"

// Redact is the one way a URL that may carry credentials is shown (API,
// pages, CLI, logs, audit): user and password, and the values of
// secret-looking query parameters (api_key, key, token, access_token,
// secret, password, sig, signature, … in any case), become REDACTED.
// Text that is not a URL (a file name) is returned as it is.
func Redact(raw string) string {
	if !strings.Contains(raw, "://") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that cannot be parsed; not shown)"
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	if u.RawQuery != "" {
		u.RawQuery = redactQuery(u.RawQuery)
	}
	if u.Fragment != "" && strings.Contains(u.Fragment, "=") { // #access_token=… of implicit OAuth flows
		u.Fragment, u.RawFragment = Redacted, ""
	}
	return u.String()
}

// redactQuery keeps the query as written (order, encoding, separators) and
// replaces the values of secret parameters.
func redactQuery(q string) string {
	var b strings.Builder
	for q != "" {
		i := strings.IndexAny(q, "&;")
		part, sep := q, ""
		if i >= 0 {
			part, sep, q = q[:i], q[i:i+1], q[i+1:]
		} else {
			q = ""
		}
		name, _, hasValue := strings.Cut(part, "=")
		plain, err := url.QueryUnescape(name)
		if err != nil {
			plain = name
		}
		if hasValue && secretName(plain) {
			part = name + "=" + Redacted
		}
		b.WriteString(part)
		b.WriteString(sep)
	}
	return b.String()
}

var secretNames = map[string]bool{
	"key": true, "apikey": true, "token": true, "accesstoken": true, "secret": true, "password": true,
	"passwd": true, "pwd": true, "pass": true, "sig": true, "signature": true, "auth": true,
	"authorization": true, "credential": true, "credentials": true, "session": true, "sessionid": true,
	"jwt": true, "bearer": true,
}

var secretSuffixes = []string{"token", "secret", "password", "key", "signature", "credential", "sig"}

// secretName reports whether a query parameter named name looks like it
// carries a credential (api_key, X-Amz-Signature, client_secret, …).
func secretName(name string) bool {
	n := strings.NewReplacer("-", "", "_", "", ".", "", " ", "").Replace(strings.ToLower(name))
	if secretNames[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// URL is a URL that may carry credentials: stored and fetched as it is,
// shown redacted wherever it is printed, encoded or logged (String, JSON,
// text, slog, %#v), so no output can forget to redact it. Raw gives the
// URL itself, for fetching only.
type URL string

// Raw is the URL with its credentials, for making the request.
func (u URL) Raw() string { return string(u) }

// String is the redacted URL.
func (u URL) String() string { return Redact(string(u)) }

// GoString keeps %#v redacted too.
func (u URL) GoString() string { return strconv.Quote(u.String()) }

// MarshalJSON encodes the redacted URL.
func (u URL) MarshalJSON() ([]byte, error) { return json.Marshal(u.String()) }

// MarshalText encodes the redacted URL for text encoders.
func (u URL) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// LogValue logs the redacted URL.
func (u URL) LogValue() slog.Value { return slog.StringValue(u.String()) }

// RedactError redacts the URL that net/http puts in its errors (it hides a
// password but not a query's api_key), so err can be logged.
func RedactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = Redact(ue.URL)
	}
	return err
}

// ValidateURL checks a URL an admin configures for fetching: http or https,
// a host, and no numeric host name tricks. Where it points is checked at
// each request (Client), since a name can resolve anywhere.
func ValidateURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
		return errs.Invalidf("INVALID_URL", "%q is not an http(s) URL", Redact(raw))
	}
	if err := CheckHost(u.Hostname()); err != nil {
		return errs.Invalidf("INVALID_URL", "%q has a numeric host name that is not a plain IP address: write the address as a.b.c.d or [v6]", Redact(raw))
	}
	return nil
}

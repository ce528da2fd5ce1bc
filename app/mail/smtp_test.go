package mail_test

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	cmail "github.com/cascade-gate/cascade/app/mail"
)

// inbox is an SMTP server started by the test (emersion/go-smtp) that
// demands a password and keeps what it is sent.
type inbox struct {
	mu   sync.Mutex
	msgs []received
	addr string
}

type received struct {
	from string
	to   []string
	data []byte
}

type session struct {
	in     *inbox
	authed bool
	cur    received
}

func (in *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{in: in}, nil }

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "cascade" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.in.mu.Lock()
	s.in.msgs = append(s.in.msgs, s.cur)
	s.in.mu.Unlock()
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func startInbox(t *testing.T) *inbox {
	t.Helper()
	in := &inbox{}
	srv := smtp.NewServer(in)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback, in a test
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return in
}

func (in *inbox) take() []received {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := in.msgs
	in.msgs = nil
	return out
}

// parts reads a message's headers and its text and HTML parts.
func parts(t *testing.T, raw []byte) (mail.Header, map[string]string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v): want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // multipart decodes quoted-printable
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = string(body)
	}
	return m.Header, out
}

func TestDigestsAreSentOverSMTPAndAnUnsubscribedUserGetsNoMore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		s := newShop(t, db)
		in := startInbox(t)
		cfg, err := cmail.ParseURL("smtp://cascade:s3cret@"+in.addr, "gate@cascade.example")
		if err != nil {
			t.Fatal(err)
		}
		svc := cmail.NewService(db, cmail.NewMailer(cfg), "https://cascade.example")
		sent, err := svc.SendSupplierDigests(system)
		if err != nil || sent != 2 {
			t.Fatalf("sent %d: %v", sent, err)
		}
		var acme received
		for _, m := range in.take() {
			if len(m.to) == 1 && m.to[0] == "ops@acme.example" {
				acme = m
			}
		}
		if acme.from != "gate@cascade.example" {
			t.Fatalf("no digest to Acme's user: %+v", acme)
		}
		h, body := parts(t, acme.data)
		if h.Get("Subject") != "Cascade: what changed for Acme Ltd" {
			t.Errorf("subject %q", h.Get("Subject"))
		}
		for _, want := range []string{"BAD-3", "INVALID_GTIN", "PW-1", "UNIVERSAL_DEFAULT_PASSWORD", "SOON-2", s.supportEnd.AddDays(1).String(), "https://cascade.example/api/v1/imports/"} {
			if !strings.Contains(body["text/plain"], want) || !strings.Contains(body["text/html"], want) {
				t.Errorf("the digest lacks %s:\ntext %s\nhtml %s", want, body["text/plain"], body["text/html"])
			}
		}
		if strings.Contains(body["text/plain"], "OTH-1") {
			t.Error("Acme's digest tells another supplier's product")
		}
		// The unsubscribe link is the user's own, signed; a forged one is refused.
		link := strings.Trim(h.Get("List-Unsubscribe"), "<>")
		u, err := url.Parse(link)
		if err != nil || u.Path != "/unsubscribe" || !strings.Contains(body["text/html"], `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
			t.Fatalf("unsubscribe link %q (%v)", link, err)
		}
		uid, _ := strconv.ParseInt(u.Query().Get("u"), 10, 64)
		if uid != s.acmeUser.ID {
			t.Fatalf("link of user %d, want %d", uid, s.acmeUser.ID)
		}
		if err := cmail.Unsubscribe(system, db, s.manager.ID, u.Query().Get("t"), time.Now()); !errors.Is(err, cmail.ErrBadUnsubscribeLink) {
			t.Errorf("another user's signature: %v", err)
		}
		if err := cmail.Unsubscribe(system, db, uid, u.Query().Get("t"), time.Now()); err != nil {
			t.Fatal(err)
		}
		// Nothing new since: no mail; and the unsubscribed user gets none even with news.
		if sent, err := svc.SendSupplierDigests(system); err != nil || sent != 0 {
			t.Errorf("second run sent %d: %v", sent, err)
		}
		upload(t, db, s.acme, "sku,gtin,brand,model,category,markets\nBAD-9,1,Acme,M9,smart_plug,UK\n")
		if sent, err := svc.SendSupplierDigests(system); err != nil || sent != 0 || len(in.take()) != 0 {
			t.Errorf("the unsubscribed user was sent %d: %v", sent, err)
		}

		// Category managers get the summary.
		if sent, err := svc.SendManagerSummaries(system); err != nil || sent != 1 {
			t.Fatalf("summaries sent %d: %v", sent, err)
		}
		msgs := in.take()
		if len(msgs) != 1 || msgs[0].to[0] != "cm@retail.example" {
			t.Fatalf("summary to %+v", msgs)
		}
		_, body = parts(t, msgs[0].data)
		if !strings.Contains(body["text/plain"], "3 uploads committed") || !strings.Contains(body["text/html"], "OTH-1") {
			t.Errorf("summary:\n%s", body["text/plain"])
		}
	})
}

func TestAWrongSMTPPasswordIsAnErrorAndNothingCountsAsSent(t *testing.T) {
	db := dbtest.SQLite(t)
	newShop(t, db)
	in := startInbox(t)
	cfg, _ := cmail.ParseURL("smtp://cascade:wrong@"+in.addr, "gate@cascade.example")
	sent, err := cmail.NewService(db, cmail.NewMailer(cfg), "https://cascade.example").SendSupplierDigests(system)
	if err == nil || sent != 0 {
		t.Fatalf("sent %d, err %v", sent, err)
	}
	// The period was not told: the next run (with the right password) covers it.
	cfg, _ = cmail.ParseURL("smtp://cascade:s3cret@"+in.addr, "gate@cascade.example")
	if sent, err := cmail.NewService(db, cmail.NewMailer(cfg), "https://cascade.example").SendSupplierDigests(system); err != nil || sent != 2 {
		t.Fatalf("retry sent %d: %v", sent, err)
	}
}

func TestTheSMTPURLIsCheckedAtStartUp(t *testing.T) {
	cases := map[string]struct {
		url, from, code string
		port            int
		tls             bool
	}{
		"smtp with port":    {url: "smtp://u:p@mail.example:2525", from: "a@b.example", port: 2525},
		"smtp default port": {url: "smtp://mail.example", from: "a@b.example", port: 587},
		"smtps":             {url: "smtps://u:p@mail.example", from: "a@b.example", port: 465, tls: true},
		"http":              {url: "http://mail.example", from: "a@b.example", code: "INVALID_SMTP_URL"},
		"no host":           {url: "smtp://", from: "a@b.example", code: "INVALID_SMTP_URL"},
		"bad port":          {url: "smtp://mail.example:99999", from: "a@b.example", code: "INVALID_SMTP_URL"},
		"no from":           {url: "smtp://mail.example", code: "MISSING_MAIL_FROM"},
	}
	for name, c := range cases {
		cfg, err := cmail.ParseURL(c.url, c.from)
		if c.code != "" {
			if err == nil || !strings.Contains(err.Error(), c.code) {
				t.Errorf("%s: err %v, want %s", name, err, c.code)
			}
			continue
		}
		if err != nil || cfg.Port != c.port || cfg.TLS != c.tls || cfg.Host != "mail.example" {
			t.Errorf("%s: %+v %v", name, cfg, err)
		}
	}
}

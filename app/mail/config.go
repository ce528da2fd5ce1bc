// Package mail tells people by e-mail what changed for them: suppliers a
// digest of their rejected rows, newly blocked products and upcoming blocks;
// category managers a weekly summary. Messages are plain text and HTML,
// built and sent with go-mail (no hand-written MIME), each with a signed
// per-user unsubscribe link that the server honours.
package mail

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/cascade-gate/cascade/app/kernel/errs"
)

// Config is where and as whom mail is sent.
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      bool   // smtps://: TLS from the first byte; smtp:// uses STARTTLS when the server offers it
	From     string // the From address
}

// ParseURL reads smtp://user:pass@host:port (STARTTLS when offered) or
// smtps://… (implicit TLS). The port defaults to 587 or 465.
func ParseURL(raw, from string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return Config{}, errs.Invalidf("INVALID_SMTP_URL", "the SMTP URL must look like smtp://user:password@host:587 (or smtps:// for implicit TLS)")
	}
	if from == "" {
		return Config{}, errs.Invalidf("MISSING_MAIL_FROM", "say which address mail comes from: --mail-from")
	}
	c := Config{Host: u.Hostname(), TLS: u.Scheme == "smtps", From: from, Port: 587}
	if c.TLS {
		c.Port = 465
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port <= 0 || c.Port > 65535 {
			return Config{}, errs.Invalidf("INVALID_SMTP_URL", "the SMTP port %q is not a port", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	return c, nil
}

// Message is one e-mail to one person.
type Message struct {
	To          string
	Subject     string
	Text, HTML  string
	Unsubscribe string // the URL of the recipient's unsubscribe link
}

// Sender sends messages; the Mailer does it over SMTP.
type Sender interface {
	Send(ctx context.Context, msgs ...Message) error
}

// Mailer sends over SMTP with go-mail.
type Mailer struct{ cfg Config }

// NewMailer returns a Mailer for cfg.
func NewMailer(cfg Config) *Mailer { return &Mailer{cfg: cfg} }

// Send delivers msgs over one connection.
func (m *Mailer) Send(ctx context.Context, msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	opts := []gomail.Option{gomail.WithPort(m.cfg.Port), gomail.WithTimeout(30 * time.Second)}
	if m.cfg.TLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if m.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(m.cfg.Username), gomail.WithPassword(m.cfg.Password))
	}
	client, err := gomail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail client: %w", err)
	}
	out := make([]*gomail.Msg, 0, len(msgs))
	for _, msg := range msgs {
		g := gomail.NewMsg()
		if err := g.From(m.cfg.From); err != nil {
			return fmt.Errorf("mail from %q: %w", m.cfg.From, err)
		}
		if err := g.To(msg.To); err != nil {
			return fmt.Errorf("mail to %q: %w", msg.To, err)
		}
		g.Subject(msg.Subject)
		g.SetDate()
		g.SetMessageID()
		if msg.Unsubscribe != "" {
			// RFC 2369 and RFC 8058: mail clients offer their own unsubscribe button.
			g.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+msg.Unsubscribe+">")
			g.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		}
		g.SetBodyString(gomail.TypeTextPlain, msg.Text)
		g.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
		out = append(out, g)
	}
	if err := client.DialAndSendWithContext(ctx, out...); err != nil {
		return fmt.Errorf("send mail via %s:%d: %w", m.cfg.Host, m.cfg.Port, err)
	}
	return nil
}

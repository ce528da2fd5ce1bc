package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/mail"
)

// outbox keeps the messages the mail service would send.
type outbox struct{ msgs []mail.Message }

func (o *outbox) Send(_ context.Context, msgs ...mail.Message) error {
	o.msgs = append(o.msgs, msgs...)
	return nil
}

func TestTheUnsubscribeLinkOfADigestStopsTheUsersMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := access.With(context.Background(), access.System("test"))
		box := &outbox{}
		svc := mail.NewService(db, box, "https://cascade.example")
		if sent, err := svc.SendSupplierDigests(ctx); err != nil || sent != 1 || box.msgs[0].To != "supplier@test.example" {
			t.Fatalf("sent %d %v: %+v", sent, err, box.msgs)
		}
		link, err := url.Parse(box.msgs[0].Unsubscribe)
		if err != nil || !strings.Contains(box.msgs[0].Text, box.msgs[0].Unsubscribe) {
			t.Fatalf("link %q: %v", box.msgs[0].Unsubscribe, err)
		}
		// Following the link (a mail scanner would) only asks.
		rec := w.request("", "GET", link.RequestURI(), nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `id="unsubscribe"`) {
			t.Fatalf("GET: %d %s", rec.Code, rec.Body.String())
		}
		var unsubscribed int64
		db.Table("mail_preferences").Where("unsubscribed_at IS NOT NULL").Count(&unsubscribed)
		if unsubscribed != 0 {
			t.Fatal("the GET unsubscribed")
		}
		// A tampered signature is refused; the form's POST unsubscribes.
		forged := url.Values{"u": {link.Query().Get("u")}, "t": {link.Query().Get("t") + "x"}}.Encode()
		if rec := w.request("", "POST", "/unsubscribe", forged, "Content-Type", "application/x-www-form-urlencoded"); rec.Code != 400 {
			t.Errorf("forged: %d", rec.Code)
		}
		rec = w.request("", "POST", "/unsubscribe", link.Query().Encode(), "Content-Type", "application/x-www-form-urlencoded")
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `id="unsubscribed"`) {
			t.Fatalf("POST: %d %s", rec.Code, rec.Body.String())
		}
		db.Table("mail_preferences").Where("user_id = ? AND unsubscribed_at IS NOT NULL", w.users["supplier"].ID).Count(&unsubscribed)
		if unsubscribed != 1 {
			t.Fatal("not unsubscribed")
		}
		// A mail client's one-click POST to the link itself works too (RFC 8058), and again is fine.
		rec = w.request("", "POST", link.RequestURI(), "List-Unsubscribe=One-Click", "Content-Type", "application/x-www-form-urlencoded")
		if rec.Code != 200 {
			t.Errorf("one-click: %d %s", rec.Code, rec.Body.String())
		}
		db.Exec("UPDATE mail_preferences SET last_digest_at = NULL")
		box.msgs = nil
		if sent, err := svc.SendSupplierDigests(ctx); err != nil || sent != 0 || len(box.msgs) != 0 {
			t.Errorf("after unsubscribing: sent %d %v", sent, err)
		}
	})
}

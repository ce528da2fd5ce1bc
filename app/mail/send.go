package mail

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// firstPeriod is what a user's first digest or summary covers.
const firstPeriod = 7 * 24 * time.Hour

// Service sends the digests and summaries to the people who have not
// unsubscribed, each covering what changed since that person's last one.
type Service struct {
	db      *gorm.DB
	digests *Digests
	sender  Sender
	baseURL string // the server's public URL, for links
	now     func() time.Time
}

// NewService sends with sender; links point at baseURL.
func NewService(db *gorm.DB, sender Sender, baseURL string) *Service {
	return &Service{db: db, digests: NewDigests(db), sender: sender, baseURL: baseURL, now: func() time.Time { return time.Now().UTC() }}
}

// WithClock makes the service read the time from now (tests).
func (s *Service) WithClock(now func() time.Time) *Service { s.now = now; return s }

// Digests is where the service's digests come from (its Upcoming seam).
func (s *Service) Digests() *Digests { return s.digests }

// recipient is a user who may get mail, and when they last got it.
type recipient struct {
	ID         int64
	Email      string
	SupplierID int64
	Last       *time.Time
}

func (s *Service) recipients(ctx context.Context, role, last string) ([]recipient, error) {
	var out []recipient
	err := s.db.WithContext(ctx).Table("users u").
		Select("u.id, u.email, COALESCE(u.supplier_id, 0) AS supplier_id, m."+last+" AS last").
		Joins("LEFT JOIN mail_preferences m ON m.user_id = u.id").
		Where("u.role = ? AND u.disabled_at IS NULL AND m.unsubscribed_at IS NULL", role).Order("u.id").Scan(&out).Error
	return out, err
}

// SendSupplierDigests sends each supplier user who has not unsubscribed
// the digest of what changed for their supplier since their last one, if
// anything did; it returns how many were sent. A failure stops the run:
// the users not yet done keep their period, and the next run covers it.
func (s *Service) SendSupplierDigests(ctx context.Context) (int, error) {
	return s.send(ctx, "supplier", "last_digest_at", func(r recipient, since, now time.Time) (string, any, bool, error) {
		d, err := s.digests.Supplier(ctx, r.SupplierID, since, now)
		return "digest", d, !d.Empty(), err
	}, func(d any) string { return "Cascade: what changed for " + d.(Digest).Supplier })
}

// SendManagerSummaries sends each category manager who has not
// unsubscribed the summary of the period since their last one.
func (s *Service) SendManagerSummaries(ctx context.Context) (int, error) {
	return s.send(ctx, "category_manager", "last_summary_at", func(_ recipient, since, now time.Time) (string, any, bool, error) {
		sum, err := s.digests.Summary(ctx, since, now)
		return "summary", sum, true, err
	}, func(any) string { return "Cascade weekly summary" })
}

func (s *Service) send(ctx context.Context, role, last string,
	build func(r recipient, since, now time.Time) (template string, data any, worth bool, err error), subject func(any) string,
) (int, error) {
	key, err := signingKey(ctx, s.db)
	if err != nil {
		return 0, err
	}
	list, err := s.recipients(ctx, role, last)
	if err != nil {
		return 0, err
	}
	now, sent := s.now(), 0
	for _, r := range list {
		since := now.Add(-firstPeriod)
		if r.Last != nil {
			since = *r.Last
		}
		name, data, worth, err := build(r, since, now)
		if err != nil {
			return sent, err
		}
		if worth {
			unsub := unsubscribeURL(s.baseURL, key, r.ID)
			text, html, err := render(name, struct {
				D           any
				S           any
				BaseURL     string
				Unsubscribe string
			}{data, data, s.baseURL, unsub})
			if err != nil {
				return sent, fmt.Errorf("render %s: %w", name, err)
			}
			if err := s.sender.Send(ctx, Message{To: r.Email, Subject: subject(data), Text: text, HTML: html, Unsubscribe: unsub}); err != nil {
				return sent, err
			}
			sent++
		}
		// The period is told (or had nothing to tell): the next one starts here.
		err = s.db.WithContext(ctx).Exec(fmt.Sprintf(`INSERT INTO mail_preferences (user_id, %[1]s) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET %[1]s = excluded.%[1]s`, last), r.ID, now).Error
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

package jobs

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/mail"
)

// Mail is when the e-mail digests go out, and how. Nil in Schedule: no
// SMTP server is configured, and no mail is sent.
type Mail struct {
	Digest  string // cron (UTC) of the suppliers' digests
	Summary string // cron (UTC) of the category managers' weekly summary
	Sender  mail.Sender
	BaseURL string // the server's public URL, for the links in the mail
}

// Default mail schedules: suppliers' digests every morning, the category
// managers' summary on Monday mornings.
const (
	DefaultDigestSchedule  = "0 6 * * *"
	DefaultSummarySchedule = "0 7 * * 1"
)

// Job names of the mail runs in job_runs.
const (
	jobDigest  = "mail.digest"
	jobSummary = "mail.summary"
)

// SendMail runs one of the mail jobs (the digests, or with summary the
// summaries) for the slot of the minute at: however many replicas fire it,
// one claims the slot and sends; the others skip it.
func SendMail(ctx context.Context, db *gorm.DB, log *slog.Logger, m Mail, summary bool, at time.Time) {
	sendMail(ctx, newClaims(db), log, m, summary, at)
}

func sendMail(ctx context.Context, c claims, log *slog.Logger, m Mail, summary bool, at time.Time) {
	job := jobDigest
	if summary {
		job = jobSummary
	}
	slot := at.UTC().Truncate(time.Minute).Format("2006-01-02T15:04")
	r, err := c.claim(ctx, job, slot)
	if err != nil {
		log.Error("mail: cannot claim the run", "job", job, "err", err)
		return
	}
	if r == nil {
		log.Info("mail skipped: another replica sends it", "job", job, "slot", slot)
		return
	}
	ctx = access.With(ctx, access.System(job))
	svc := mail.NewService(c.db, m.Sender, m.BaseURL)
	var sent int
	err = r.do(ctx, func(ctx context.Context) (err error) {
		if summary {
			sent, err = svc.SendManagerSummaries(ctx)
		} else {
			sent, err = svc.SendSupplierDigests(ctx)
		}
		return err
	})
	if err != nil {
		// The people not yet mailed keep their period: the next run covers it.
		log.Error("mail: sending failed", "job", job, "slot", slot, "sent", sent, "err", err)
		return
	}
	log.Info("mail sent", "job", job, "slot", slot, "sent", sent)
}

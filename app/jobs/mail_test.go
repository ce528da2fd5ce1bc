package jobs_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/auth"
	"github.com/cascade-gate/cascade/app/jobs"
	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/mail"
)

type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(_ context.Context, msgs ...mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, msgs...)
	return nil
}

// TestTheSummaryJobSendsOncePerSlot fires the weekly summary twice in the
// same minute (two replicas' schedules): one claims the slot and sends.
func TestTheSummaryJobSendsOncePerSlot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		ctx := access.With(context.Background(), access.System("test"))
		if _, err := auth.NewService(db).CreateUser(ctx, auth.NewUser{Email: "cm@retail.example", Role: access.CategoryManager, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		var logs safeBuffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		box := &outbox{}
		m := jobs.Mail{Digest: jobs.DefaultDigestSchedule, Summary: jobs.DefaultSummarySchedule, Sender: box, BaseURL: "https://cascade.example"}
		at := time.Date(2027, 3, 1, 7, 0, 20, 0, time.UTC)
		jobs.SendMail(context.Background(), db, log, m, true, at)
		jobs.SendMail(context.Background(), db, log, m, true, at.Add(30*time.Second)) // the same minute
		if len(box.msgs) != 1 {
			t.Fatalf("sent %d in one slot", len(box.msgs))
		}
		if len(box.msgs) != 1 || box.msgs[0].To != "cm@retail.example" || !strings.Contains(box.msgs[0].Subject, "weekly summary") {
			t.Fatalf("sent %+v\n%s", box.msgs, logs.String())
		}
		if !strings.Contains(logs.String(), "another replica sends it") {
			t.Errorf("the second fire did not skip:\n%s", logs.String())
		}
	})
}

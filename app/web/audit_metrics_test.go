package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
)

func TestMetricsExposeTheAuditHeadOfTheLastCheckpoint(t *testing.T) {
	w := newWorld(t, dbtest.SQLite(t))
	if body := w.request("", "GET", "/metrics", nil).Body.String(); strings.Contains(body, "cascade_audit_head_seq") {
		t.Fatal("an audit head is exposed before any checkpoint was taken")
	}
	var head struct {
		Seq  int64
		Hash string
	}
	if err := w.db.Table("audit_head").First(&head).Error; err != nil || head.Seq == 0 {
		t.Fatalf("head %+v %v", head, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.srv.AnchorAudit(ctx, 20*time.Millisecond, nil) }()
	defer func() { cancel(); <-done }()

	want := []string{
		fmt.Sprintf("cascade_audit_head_seq %d\n", head.Seq),
		fmt.Sprintf(`cascade_audit_head_info{hash=%q} 1`+"\n", head.Hash),
		"cascade_audit_checkpoint_holds 1\n",
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		body := w.request("", "GET", "/metrics", nil).Body.String()
		missing := ""
		for _, m := range want {
			if !strings.Contains(body, m) {
				missing = m
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %q:\n%s", missing, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

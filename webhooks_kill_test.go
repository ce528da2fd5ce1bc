package main_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/notify"
	"github.com/cascade-gate/cascade/imports"
	"github.com/cascade-gate/cascade/vendors"
)

// TestKillingTheServerMidDeliveryLosesNoWebhook kills `cascade serve` with
// SIGKILL while its webhook request is in flight: the delivery stays queued,
// and the next process (after the dead one's lease) sends it again with the
// same Cascade-Delivery id, and records it delivered.
func TestKillingTheServerMidDeliveryLosesNoWebhook(t *testing.T) {
	bin := buildBinary(t, t.TempDir())
	for _, c := range []struct{ name, dsn func(t *testing.T) string }{
		{func(*testing.T) string { return "sqlite" }, func(t *testing.T) string { return filepath.Join(t.TempDir(), "cascade.db") }},
		{func(*testing.T) string { return "postgres" }, func(t *testing.T) string { return dbtest.PostgresDSN(t) }},
	} {
		t.Run(c.name(t), func(t *testing.T) {
			dsn := c.dsn(t)
			db, err := database.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer database.Close(db)
			ctx := access.With(context.Background(), access.System("test"))

			var mu sync.Mutex
			var ids []string
			first := make(chan struct{})
			release := make(chan struct{})
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				mu.Lock()
				ids = append(ids, r.Header.Get(notify.HeaderDelivery))
				n := len(ids)
				mu.Unlock()
				if n == 1 {
					close(first)
					select { // in flight until the process dies
					case <-r.Context().Done():
					case <-release:
					}
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer rc.Close()
			defer close(release) // before the receiver closes: it waits for its handlers

			sub, _, err := notify.NewStore(db).Subscribe(ctx, notify.NewSubscription{URL: rc.URL + "/hook", Events: []string{notify.ImportFinished}})
			if err != nil {
				t.Fatal(err)
			}
			sup, err := vendors.NewStore(db).Create(ctx, "Acme")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "a.csv")
			os.WriteFile(path, []byte("sku,gtin,brand,model,category,markets\nA-1,4006381333931,Brand,M,smart_plug,UK\n"), 0o600)
			if _, err := imports.New(db, imports.DefaultLimits).Import(ctx, imports.Request{SupplierID: sup.ID, FileName: "a.csv", Path: path}); err != nil {
				t.Fatal(err)
			}

			serve := func() *exec.Cmd {
				cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dsn,
					"--allow-outbound-networks", "127.0.0.0/8", "--webhook-timeout", "1s", "--audit-checkpoint-every", "0")
				cmd.Env = append(os.Environ(), "CASCADE_ADMIN_PASSWORD=bootstrap password long")
				out, _ := cmd.StdoutPipe()
				cmd.Stderr = io.Discard
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if strings.Contains(sc.Text(), "listening on ") {
						go io.Copy(io.Discard, out)
						return cmd
					}
				}
				t.Fatal("cascade serve did not start")
				return nil
			}
			a := serve()
			select {
			case <-first:
			case <-time.After(20 * time.Second):
				t.Fatal("the first process sent no webhook")
			}
			a.Process.Kill() // SIGKILL, mid-request
			a.Wait()
			var d notify.Delivery
			db.Where("subscription_id = ?", sub.ID).First(&d)
			if d.Status != notify.StatusPending || d.Attempts != 0 {
				t.Fatalf("after the kill the delivery is %+v, want pending with no attempt recorded", d)
			}

			serve()
			deadline := time.Now().Add(30 * time.Second)
			for {
				db.Where("subscription_id = ?", sub.ID).First(&d)
				if d.Status == notify.StatusDelivered {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the delivery was not sent again after the kill: %+v", d)
				}
				time.Sleep(100 * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(ids) != 2 || ids[0] != d.UID || ids[1] != d.UID {
				t.Errorf("the receiver got %v, want the delivery %s twice (at least once, one idempotency id)", ids, d.UID)
			}
			var n int64
			db.Raw("SELECT COUNT(*) FROM webhook_deliveries").Scan(&n)
			if n != 1 {
				t.Errorf("%d deliveries, want 1: the second process enqueued the import again", n)
			}
		})
	}
}

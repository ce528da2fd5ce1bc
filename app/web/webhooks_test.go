package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/database/dbtest"
	"github.com/cascade-gate/cascade/app/notify"
)

// adminWebhook is a fresh subscription of the admin's.
func (w *world) adminWebhook() int64 {
	w.t.Helper()
	ctx := access.With(context.Background(), access.Principal{UserID: w.users["admin"].ID, Email: "admin@test.example", Role: access.Admin})
	sub, _, err := notify.NewStore(w.db).Subscribe(ctx, notify.NewSubscription{URL: "https://hooks.example/admin", Events: []string{notify.VerdictChanged}})
	if err != nil {
		w.t.Fatal(err)
	}
	return sub.ID
}

// webhookDelivery is a failed delivery to a fresh subscription of the admin's.
func (w *world) webhookDelivery() string {
	w.t.Helper()
	sub := w.adminWebhook()
	now := time.Now().UTC()
	err := w.db.Exec(`INSERT INTO webhook_deliveries (uid, subscription_id, event, source, payload, status, attempts, next_attempt_at, give_up_at, last_status_code, last_error, created_at)
		VALUES (?, ?, 'verdict.changed', ?, '{}', 'failed', 20, ?, ?, 500, 'HTTP_STATUS', ?)`, fmt.Sprintf("whd_test_%d", sub), sub, fmt.Sprintf("test:%d", sub), now, now, now).Error
	if err != nil {
		w.t.Fatal(err)
	}
	var id int64
	w.db.Raw("SELECT id FROM webhook_deliveries WHERE subscription_id = ?", sub).Scan(&id)
	return fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%d/redeliver", sub, id)
}

// TestAWebhookSecretIsShownOnceAndTheURLRedacted: the POST answers the
// secret; no later answer carries it, nor the URL's credentials.
func TestAWebhookSecretIsShownOnceAndTheURLRedacted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ string, db *gorm.DB) {
		w := newWorld(t, db)
		rec := w.request("supplier", "POST", "/api/v1/webhooks", map[string]any{
			"url": "https://pim.example/hooks?token=s3cr3t-in-url", "events": []string{"verdict.changed", "import.finished"}})
		if rec.Code != http.StatusCreated {
			t.Fatalf("subscribe: %d %s", rec.Code, rec.Body.String())
		}
		var created struct {
			Secret  string `json:"secret"`
			Webhook struct {
				ID         int64    `json:"id"`
				Events     []string `json:"events"`
				SupplierID int64    `json:"supplier_id"`
			} `json:"webhook"`
		}
		json.Unmarshal(rec.Body.Bytes(), &created)
		if !strings.HasPrefix(created.Secret, "whsec_") || len(created.Secret) != len("whsec_")+64 {
			t.Errorf("secret = %q, want whsec_ and 32 random bytes in hex", created.Secret)
		}
		if created.Webhook.SupplierID != w.supplierA.ID || len(created.Webhook.Events) != 2 {
			t.Errorf("subscription = %+v, want supplier A's with two events", created.Webhook)
		}
		for _, path := range []string{"/api/v1/webhooks", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", created.Webhook.ID), "/api/v1/audit"} {
			role := "supplier"
			if path == "/api/v1/audit" {
				role = "admin"
			}
			rec := w.request(role, "GET", path, nil)
			if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), created.Secret[6:]) || strings.Contains(rec.Body.String(), "s3cr3t-in-url") {
				t.Errorf("GET %s: %d, carries the secret or the URL's credential: %s", path, rec.Code, rec.Body.String())
			}
		}
		if rec := w.request("supplier", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{"registry.refresh_failed"}}); rec.Code != http.StatusForbidden {
			t.Errorf("a supplier subscribing to registry refreshes: %d", rec.Code)
		}
		if rec := w.request("admin", "POST", "/api/v1/webhooks", map[string]any{"url": "https://x.example/", "events": []string{"verdict.changed"}, "secret": "mine"}); rec.Code != http.StatusBadRequest {
			t.Errorf("an unknown field: %d", rec.Code)
		}
		if rec := w.request("supplier", "DELETE", fmt.Sprintf("/api/v1/webhooks/%d", created.Webhook.ID), nil); rec.Code != http.StatusNoContent {
			t.Errorf("unsubscribe: %d %s", rec.Code, rec.Body.String())
		}
		if rec := w.request("supplier", "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", created.Webhook.ID), nil); rec.Code != http.StatusNotFound {
			t.Errorf("deliveries of a deleted subscription: %d", rec.Code)
		}
	})
}

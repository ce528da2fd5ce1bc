package notify

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/cascade-gate/cascade/app/kernel/access"
	"github.com/cascade-gate/cascade/app/kernel/audit"
	"github.com/cascade-gate/cascade/app/kernel/database"
	"github.com/cascade-gate/cascade/app/kernel/errs"
	"github.com/cascade-gate/cascade/app/kernel/outbound"
)

// Subscription is a URL subscribed to events. Its secret is shown once,
// in the answer that creates it.
type Subscription struct {
	ID         int64        `json:"id"`
	URL        outbound.URL `json:"url"` // shown redacted
	Events     string       `json:"-"`   // space-separated
	EventList  []string     `json:"events" gorm:"-"`
	Secret     string       `json:"-"`
	SupplierID *int64       `json:"supplier_id"` // nil: an admin's, every event
	CreatedBy  *int64       `json:"created_by,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
}

func (Subscription) TableName() string { return "webhook_subscriptions" }

func (s *Subscription) fill() { s.EventList = strings.Fields(s.Events) }

// Delivery is one event sent (or to be sent) to one subscription: its log
// entry. The receiver's answer is kept as its status code only.
type Delivery struct {
	ID             int64      `json:"id"`
	UID            string     `json:"delivery"` // Cascade-Delivery, the idempotency id
	SubscriptionID int64      `json:"subscription_id"`
	Event          string     `json:"event"`
	Source         string     `json:"-"`
	Payload        string     `json:"-"`
	Status         string     `json:"status"` // pending, delivered, failed
	Attempts       int        `json:"attempts"`
	NextAttemptAt  time.Time  `json:"next_attempt_at"`
	GiveUpAt       time.Time  `json:"give_up_at"`
	LeaseOwner     string     `json:"-"`
	LeaseUntil     *time.Time `json:"-"`
	Claim          int        `json:"-"`
	LastStatusCode int        `json:"last_status_code"` // 0: no HTTP answer
	LastError      string     `json:"last_error,omitempty"`
	LastAttemptAt  *time.Time `json:"last_attempt_at,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

func (Delivery) TableName() string { return "webhook_deliveries" }

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// RetryFor is how long a delivery is retried after it is enqueued (or redelivered).
const RetryFor = 24 * time.Hour

// Store keeps subscriptions and the delivery log.
type Store struct{ db *gorm.DB }

// NewStore returns the webhook store in db.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// NewSubscription is what a subscriber asks for.
type NewSubscription struct {
	URL    string
	Events []string
}

// Subscribe subscribes a URL to events and returns the secret that signs
// its deliveries, which is not shown again. Admins subscribe to every
// event; a supplier user to its own supplier's (never registry refreshes).
func (s *Store) Subscribe(ctx context.Context, n NewSubscription) (Subscription, string, error) {
	p, err := access.Require(ctx, access.Admin, access.Supplier)
	if err != nil {
		return Subscription{}, "", err
	}
	if err := outbound.ValidateURL(n.URL); err != nil {
		return Subscription{}, "", err
	}
	events, err := parseEvents(n.Events, p.Role == access.Supplier)
	if err != nil {
		return Subscription{}, "", err
	}
	sub := Subscription{URL: outbound.URL(n.URL), Events: strings.Join(events, " "), Secret: newSecret(), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if p.Role == access.Supplier {
		id := p.SupplierID
		sub.SupplierID = &id
	}
	if p.UserID != 0 {
		id := p.UserID
		sub.CreatedBy = &id
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&sub).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "webhook.subscribe", "webhook_subscription", sub.ID, map[string]any{
			"url": sub.URL.String(), "events": events, "supplier_id": sub.SupplierID})
	})
	if err != nil {
		return Subscription{}, "", err
	}
	sub.fill()
	return sub, sub.Secret, nil
}

// scope is the subscriptions the caller may see: an admin every one, a
// supplier user its supplier's; anyone else none.
func (s *Store) scope(ctx context.Context) (*gorm.DB, error) {
	p, err := access.Require(ctx, access.Admin, access.Supplier)
	if err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Model(&Subscription{})
	if p.Role == access.Supplier {
		q = q.Where("supplier_id = ?", p.SupplierID)
	}
	return q, nil
}

// Subscriptions is one page of the caller's subscriptions, in id order.
func (s *Store) Subscriptions(ctx context.Context, r database.PageRequest) (database.Page[Subscription], error) {
	q, err := s.scope(ctx)
	if err != nil {
		return database.Page[Subscription]{}, err
	}
	p, err := database.Paginate(q, r, database.ByID, func(x Subscription) []int64 { return []int64{x.ID} })
	for i := range p.Items {
		p.Items[i].fill()
	}
	return p, err
}

// Subscription returns one of the caller's subscriptions; another's is NOT_FOUND.
func (s *Store) Subscription(ctx context.Context, id int64) (Subscription, error) {
	q, err := s.scope(ctx)
	if err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	if err := q.Where("id = ?", id).First(&sub).Error; err != nil {
		return Subscription{}, database.Translate(err, "webhook subscription")
	}
	sub.fill()
	return sub, nil
}

// Unsubscribe deletes a subscription and its delivery log: nothing more is
// sent to it.
func (s *Store) Unsubscribe(ctx context.Context, id int64) error {
	sub, err := s.Subscription(ctx, id)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("subscription_id = ?", sub.ID).Delete(&Delivery{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(&Subscription{}, sub.ID).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "webhook.unsubscribe", "webhook_subscription", sub.ID, map[string]any{"url": sub.URL.String()})
	})
}

// Deliveries is one page of a subscription's delivery log, newest first.
func (s *Store) Deliveries(ctx context.Context, subscriptionID int64, r database.PageRequest) (database.Page[Delivery], error) {
	if _, err := s.Subscription(ctx, subscriptionID); err != nil {
		return database.Page[Delivery]{}, err
	}
	q := s.db.WithContext(ctx).Model(&Delivery{}).Where("subscription_id = ?", subscriptionID)
	return database.Paginate(q, r, database.NewestFirst, func(d Delivery) []int64 { return []int64{d.ID} })
}

// Redeliver sends a delivery again, now, with the same body and idempotency
// id, and retries it for another day if the receiver fails. A delivery in
// flight is superseded: its outcome is no longer recorded.
func (s *Store) Redeliver(ctx context.Context, subscriptionID, deliveryID int64) (Delivery, error) {
	if _, err := s.Subscription(ctx, subscriptionID); err != nil {
		return Delivery{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var d Delivery
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Delivery{}).Where("id = ? AND subscription_id = ?", deliveryID, subscriptionID).Updates(map[string]any{
			"status": StatusPending, "next_attempt_at": now, "give_up_at": now.Add(RetryFor),
			"lease_owner": "", "lease_until": nil, "claim": gorm.Expr("claim + 1"),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errs.NotFoundf("webhook delivery %d not found", deliveryID)
		}
		if err := tx.First(&d, deliveryID).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "webhook.redeliver", "webhook_delivery", d.ID, map[string]any{"subscription_id": subscriptionID, "delivery": d.UID})
	})
	return d, err
}

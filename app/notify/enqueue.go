package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// event is one thing that happened, read from a stream.
type event struct {
	name       string
	source     string // "verdict_changes:ID" or "audit:SEQ": unique per stream entry
	supplierID *int64 // whose event it is; nil: the operator's (admins only)
	at         time.Time
	data       map[string]any
	// forSupplier is what a supplier's subscription gets instead of data,
	// when that must say less (nil: data).
	forSupplier map[string]any
}

// stream is an ordered, durable record the enqueue step reads from a cursor.
// Entries become visible in the order of their position: writers append
// under a lock held until they commit (LockVerdicts for the change feed,
// LockAuditChain for the audit log), so everything at or below head is
// committed when head is.
type stream struct {
	name string
	head func(db *gorm.DB) (int64, error)
	// read returns the events after position after and at most upto, at
	// most limit stream entries of them, and the position read up to.
	read func(db *gorm.DB, after, upto int64, limit int) ([]event, int64, error)
}

// enqueueBatch is how many stream entries one transaction turns into deliveries.
const enqueueBatch = 500

var streams = []stream{verdictStream, auditStream, upcomingStream}

// Enqueue reads every stream from its cursor and writes a delivery for each
// event and each subscription that wants it, moving the cursor in the same
// transaction. Every replica may call it at any time: a replica that finds
// the cursor moved under it writes nothing. It returns the deliveries written.
func (s *Store) Enqueue(ctx context.Context) (int, error) {
	total := 0
	for _, st := range streams {
		for {
			n, more, err := s.enqueueStream(ctx, st)
			total += n
			if err != nil {
				return total, fmt.Errorf("enqueue %s: %w", st.name, err)
			}
			if !more {
				break
			}
		}
	}
	return total, nil
}

func (s *Store) enqueueStream(ctx context.Context, st stream) (n int, more bool, err error) {
	db := s.db.WithContext(ctx)
	var pos int64
	if err := db.Raw("SELECT position FROM webhook_cursors WHERE stream = ?", st.name).Row().Scan(&pos); err != nil {
		return 0, false, err
	}
	head, err := st.head(db)
	if err != nil || head <= pos {
		return 0, false, err // the common case: nothing new, nothing written
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		// Take the cursor: a replica that moved it first has enqueued these.
		res := tx.Exec("UPDATE webhook_cursors SET position = position WHERE stream = ? AND position = ?", st.name, pos)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if head, err = st.head(tx); err != nil {
			return err
		}
		var subs []Subscription
		if err := tx.Order("id").Find(&subs).Error; err != nil {
			return err
		}
		upto := head
		var rows []Delivery
		if len(subs) > 0 {
			var events []event
			events, upto, err = st.read(tx, pos, head, enqueueBatch)
			if err != nil {
				return err
			}
			if rows, err = deliveriesOf(events, subs); err != nil {
				return err
			}
			if err := tx.CreateInBatches(rows, 100).Error; err != nil {
				return err
			}
		}
		if err := tx.Exec("UPDATE webhook_cursors SET position = ? WHERE stream = ?", upto, st.name).Error; err != nil {
			return err
		}
		n, more = len(rows), upto < head
		return nil
	})
	return n, more, err
}

// deliveriesOf makes one delivery of each event for each subscription that
// wants it: the event named, the subscriber's own supplier's (or any, for an
// admin's), and not older than the subscription.
func deliveriesOf(events []event, subs []Subscription) ([]Delivery, error) {
	var out []Delivery
	for _, e := range events {
		for _, sub := range subs {
			if !slices.Contains(strings.Fields(sub.Events), e.name) || e.at.Before(sub.CreatedAt) {
				continue
			}
			if sub.SupplierID != nil && (e.supplierID == nil || *e.supplierID != *sub.SupplierID) {
				continue
			}
			uid := newUID()
			data := e.data
			if sub.SupplierID != nil && e.forSupplier != nil {
				data = e.forSupplier
			}
			body, err := json.Marshal(map[string]any{"id": uid, "event": e.name, "created_at": e.at.UTC(), "data": data})
			if err != nil {
				return nil, err
			}
			now := time.Now().UTC().Truncate(time.Microsecond)
			out = append(out, Delivery{UID: uid, SubscriptionID: sub.ID, Event: e.name, Source: e.source, Payload: string(body),
				Status: StatusPending, NextAttemptAt: now, GiveUpAt: now.Add(RetryFor), CreatedAt: now})
		}
	}
	return out, nil
}

// verdictStream is the verdict change feed: verdict.changed.
var verdictStream = stream{
	name: "verdict_changes",
	head: func(db *gorm.DB) (int64, error) {
		var n int64
		err := db.Raw("SELECT COALESCE(MAX(id), 0) FROM verdict_changes").Row().Scan(&n)
		return n, err
	},
	read: func(db *gorm.DB, after, upto int64, limit int) ([]event, int64, error) {
		var rows []struct {
			ID, ProductID, SupplierID  int64
			SKU, GTIN, Market, Channel string
			Previous, Verdict, Codes   string
			ChangedAt                  time.Time
		}
		err := db.Raw(`SELECT c.id, c.product_id, p.supplier_id, p.sku, p.gtin, c.market, c.channel, c.previous, c.verdict, c.codes, c.changed_at
			FROM verdict_changes c JOIN products p ON p.id = c.product_id
			WHERE c.id > ? AND c.id <= ? ORDER BY c.id LIMIT ?`, after, upto, limit).Scan(&rows).Error
		if err != nil {
			return nil, 0, err
		}
		out := make([]event, len(rows))
		for i, r := range rows {
			supplier := r.SupplierID
			out[i] = event{name: VerdictChanged, source: "verdict_changes:" + strconv.FormatInt(r.ID, 10), supplierID: &supplier, at: r.ChangedAt,
				data: map[string]any{"change_id": r.ID, "product_id": r.ProductID, "supplier_id": r.SupplierID, "sku": r.SKU, "gtin": r.GTIN,
					"market": r.Market, "channel": r.Channel, "previous": r.Previous, "verdict": r.Verdict, "codes": strings.Fields(r.Codes)}}
		}
		return out, readUpTo(len(rows), limit, upto, func() int64 { return rows[len(rows)-1].ID }), nil
	},
}

// upcomingStream is the notices before a block: verdict.upcoming_block,
// one per verdict and block date (catalog/verdicts writes them nightly).
var upcomingStream = stream{
	name: "upcoming_blocks",
	head: func(db *gorm.DB) (int64, error) {
		var n int64
		err := db.Raw("SELECT COALESCE(MAX(id), 0) FROM upcoming_blocks").Row().Scan(&n)
		return n, err
	},
	read: func(db *gorm.DB, after, upto int64, limit int) ([]event, int64, error) {
		var rows []struct {
			ID, ProductID, SupplierID  int64
			SKU, GTIN, Market, Channel string
			BlocksOn, Codes            string
			NoticedAt                  time.Time
		}
		err := db.Raw(`SELECT u.id, u.product_id, p.supplier_id, p.sku, p.gtin, u.market, u.channel, u.blocks_on, u.codes, u.noticed_at
			FROM upcoming_blocks u JOIN products p ON p.id = u.product_id
			WHERE u.id > ? AND u.id <= ? ORDER BY u.id LIMIT ?`, after, upto, limit).Scan(&rows).Error
		if err != nil {
			return nil, 0, err
		}
		out := make([]event, len(rows))
		for i, r := range rows {
			supplier := r.SupplierID
			out[i] = event{name: VerdictUpcomingBlock, source: "upcoming_blocks:" + strconv.FormatInt(r.ID, 10), supplierID: &supplier, at: r.NoticedAt,
				data: map[string]any{"notice_id": r.ID, "product_id": r.ProductID, "supplier_id": r.SupplierID, "sku": r.SKU, "gtin": r.GTIN,
					"market": r.Market, "channel": r.Channel, "blocks_on": r.BlocksOn, "codes": strings.Fields(r.Codes)}}
		}
		return out, readUpTo(len(rows), limit, upto, func() int64 { return rows[len(rows)-1].ID }), nil
	},
}

// readUpTo is how far a read got: to upto when it read fewer entries than
// its limit, else to its last entry.
func readUpTo(n, limit int, upto int64, last func() int64) int64 {
	if n < limit {
		return upto
	}
	return last()
}

// auditActions maps the audit log's actions onto events.
var auditActions = map[string]string{
	"import.commit":           ImportFinished,
	"dispute.open":            DisputeOpened,
	"dispute.accept":          DisputeResolved,
	"dispute.reject":          DisputeResolved,
	"dispute.agreed":          DisputeResolved,
	"registry.refresh_failed": RegistryRefresh,
}

var resolutions = map[string]string{"dispute.accept": "accepted", "dispute.reject": "rejected", "dispute.agreed": "agreed"}

// auditStream is the audit log: imports, disputes, registry refreshes.
var auditStream = stream{
	name: "audit",
	head: func(db *gorm.DB) (int64, error) {
		var n int64
		err := db.Raw("SELECT seq FROM audit_head WHERE id = 1").Row().Scan(&n)
		return n, err
	},
	read: func(db *gorm.DB, after, upto int64, limit int) ([]event, int64, error) {
		actions := make([]string, 0, len(auditActions))
		for a := range auditActions {
			actions = append(actions, a)
		}
		var rows []struct {
			Seq                    int64
			At                     time.Time
			Action, EntityID, Data string
		}
		err := db.Raw(`SELECT seq, at, action, entity_id, data FROM audit_entries
			WHERE seq > ? AND seq <= ? AND action IN ? ORDER BY seq LIMIT ?`, after, upto, actions, limit).Scan(&rows).Error
		if err != nil {
			return nil, 0, err
		}
		var out []event
		for _, r := range rows {
			e, err := auditEvent(r.Action, r.EntityID, r.Data)
			if err != nil {
				return nil, 0, fmt.Errorf("audit entry %d: %w", r.Seq, err)
			}
			e.source, e.at = "audit:"+strconv.FormatInt(r.Seq, 10), r.At
			out = append(out, e)
		}
		return out, readUpTo(len(rows), limit, upto, func() int64 { return rows[len(rows)-1].Seq }), nil
	},
}

// auditEvent turns an audit entry into an event. What a supplier receives
// never names another supplier: a dispute's note (a manager's words, which
// may) and the other offer are left out.
func auditEvent(action, entityID, raw string) (event, error) {
	var d struct {
		SupplierID  *int64   `json:"supplier_id"`
		FileName    string   `json:"file_name"`
		Created     int      `json:"created"`
		Updated     int      `json:"updated"`
		Unchanged   int      `json:"unchanged"`
		Rejected    int      `json:"rejected"`
		GTIN        string   `json:"gtin"`
		ProductID   int64    `json:"product_id"`
		BatchID     *int64   `json:"batch_id"`
		Differences []string `json:"differences"`
		Scheme      string   `json:"scheme"`
		Error       string   `json:"error"`
	}
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return event{}, err
	}
	id, _ := strconv.ParseInt(entityID, 10, 64)
	e := event{name: auditActions[action], supplierID: d.SupplierID}
	switch action {
	case "import.commit":
		e.data = map[string]any{"batch_id": id, "supplier_id": d.SupplierID, "file_name": d.FileName, "status": "committed",
			"created": d.Created, "updated": d.Updated, "unchanged": d.Unchanged, "rejected": d.Rejected}
	case "dispute.open":
		// In what the other offer differs is for the operator: the
		// uploader, told field by field, could read another supplier's
		// offer by uploading guesses (the row warning says none either).
		e.forSupplier = map[string]any{"dispute_id": id, "gtin": d.GTIN, "product_id": d.ProductID, "supplier_id": d.SupplierID,
			"batch_id": d.BatchID}
		e.data = maps.Clone(e.forSupplier)
		e.data["differences"] = d.Differences
	case "dispute.accept", "dispute.reject", "dispute.agreed":
		e.data = map[string]any{"dispute_id": id, "gtin": d.GTIN, "product_id": d.ProductID, "supplier_id": d.SupplierID,
			"resolution": resolutions[action]}
	case "registry.refresh_failed":
		e.supplierID = nil
		e.data = map[string]any{"source_id": id, "scheme": d.Scheme, "error": d.Error}
	}
	return e, nil
}

-- Webhooks (issue 19): subscriptions of a URL to events, and the queue of
-- deliveries, kept in the database so that a restart or another replica
-- loses nothing and one replica at a time delivers each (a leased claim).

CREATE TABLE webhook_subscriptions (
    id {{.ID}},
    url TEXT NOT NULL,
    events TEXT NOT NULL, -- space-separated event names
    secret TEXT NOT NULL, -- the HMAC key, as shown once to the subscriber (the server must sign with it)
    supplier_id BIGINT REFERENCES suppliers (id), -- a supplier's subscription sees only its own events; NULL: an admin's, every event
    created_by BIGINT REFERENCES users (id),
    created_at {{.Time}} NOT NULL
);
CREATE INDEX webhook_subscriptions_supplier ON webhook_subscriptions (supplier_id);

CREATE TABLE webhook_deliveries (
    id {{.ID}},
    uid TEXT NOT NULL UNIQUE, -- the idempotency id (Cascade-Delivery), the same on every attempt
    subscription_id BIGINT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    source TEXT NOT NULL, -- the stream entry it came from: "verdict_changes:ID" or "audit:SEQ"
    payload TEXT NOT NULL, -- the JSON body, fixed when enqueued: every attempt sends the same bytes
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{.Time}} NOT NULL,
    give_up_at {{.Time}} NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until {{.Time}},
    claim INTEGER NOT NULL DEFAULT 0, -- fencing token: one more at each claim
    last_status_code INTEGER NOT NULL DEFAULT 0, -- the receiver's HTTP status; 0 when it gave none
    last_error TEXT NOT NULL DEFAULT '', -- a code only, never what the receiver sent
    last_attempt_at {{.Time}},
    delivered_at {{.Time}},
    created_at {{.Time}} NOT NULL,
    UNIQUE (subscription_id, source)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_due_per_subscription ON webhook_deliveries (subscription_id, status, next_attempt_at);
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);

-- How far the enqueue step has read each stream (the verdict change feed by
-- id, the audit log by seq). It moves in the transaction that writes the
-- deliveries of what it read: nothing is lost, nothing enqueued twice.
-- History from before this version is not replayed.
CREATE TABLE webhook_cursors (
    stream TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
INSERT INTO webhook_cursors (stream, position) SELECT 'verdict_changes', COALESCE(MAX(id), 0) FROM verdict_changes;
INSERT INTO webhook_cursors (stream, position) SELECT 'audit', COALESCE(MAX(seq), 0) FROM audit_entries;

-- Suppliers, people, their credentials and the hash-chained audit log.

CREATE TABLE suppliers (
    id {{.ID}},
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE, -- case-folded name: "ACME Ltd" and "acme ltd" are one supplier
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL
);

CREATE TABLE users (
    id {{.ID}},
    email TEXT NOT NULL UNIQUE, -- stored lower-case
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('admin', 'category_manager', 'buyer', 'approver', 'supplier')),
    supplier_id BIGINT REFERENCES suppliers (id),
    organisation TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled_at {{.Time}},
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL,
    -- a supplier user belongs to exactly one supplier; nobody else belongs to one
    CHECK ((role = 'supplier' AND supplier_id IS NOT NULL) OR (role <> 'supplier' AND supplier_id IS NULL))
);

CREATE TABLE api_tokens (
    id {{.ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL, -- first characters, shown to tell tokens apart
    token_hash TEXT NOT NULL UNIQUE, -- SHA-256 of the token; the token itself is shown once
    expires_at {{.Time}},
    last_used_at {{.Time}},
    revoked_at {{.Time}},
    created_at {{.Time}} NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id {{.ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    expires_at {{.Time}} NOT NULL,
    last_seen_at {{.Time}} NOT NULL,
    created_at {{.Time}} NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- The audit log is a hash chain: each entry's hash covers its fields and the
-- previous entry's hash; audit_head holds the newest link so that deleting
-- the tail is detected too.
CREATE TABLE audit_entries (
    seq BIGINT PRIMARY KEY,
    at {{.Time}} NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entries_entity ON audit_entries (entity, entity_id);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');

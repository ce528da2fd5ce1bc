-- Products, supplier import batches, label registries, policies and verdicts.

CREATE TABLE import_batches (
    id {{.ID}},
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'committed', 'failed')),
    rows_total INTEGER NOT NULL DEFAULT 0,
    rows_processed INTEGER NOT NULL DEFAULT 0,
    rows_created INTEGER NOT NULL DEFAULT 0,
    rows_updated INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    warnings TEXT NOT NULL DEFAULT '[]',
    error TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id),
    owner TEXT NOT NULL DEFAULT '', -- the process running the batch
    heartbeat_at {{.Time}},
    started_at {{.Time}} NOT NULL,
    finished_at {{.Time}}
);
CREATE INDEX import_batches_supplier ON import_batches (supplier_id, id);

CREATE TABLE import_row_errors (
    id {{.ID}},
    batch_id BIGINT NOT NULL REFERENCES import_batches (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    sku TEXT NOT NULL DEFAULT '',
    column_name TEXT NOT NULL DEFAULT '',
    value TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    hint TEXT NOT NULL DEFAULT '',
    row_data TEXT NOT NULL DEFAULT '{}' -- the row as the supplier wrote it, for the fix workbook
);
CREATE INDEX import_row_errors_batch ON import_row_errors (batch_id, row_number);

CREATE TABLE products (
    id {{.ID}},
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    sku TEXT NOT NULL,
    gtin TEXT NOT NULL, -- 14 digits
    brand TEXT NOT NULL,
    model TEXT NOT NULL,
    match_key TEXT NOT NULL, -- normalised brand + model for registry look-ups
    name TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    markets TEXT NOT NULL, -- space-separated market codes
    password_model TEXT NOT NULL DEFAULT '',
    vuln_report_contact TEXT NOT NULL DEFAULT '',
    support_end TEXT, -- ISO date; NULL when not declared
    support_end_declared TEXT, -- latest support_end ever declared, to detect shortening
    statement_of_compliance TEXT NOT NULL DEFAULT '',
    ce_marking TEXT NOT NULL DEFAULT '',
    hardware_version TEXT NOT NULL DEFAULT '',
    firmware_version TEXT NOT NULL DEFAULT '',
    price TEXT NOT NULL DEFAULT '',
    currency TEXT NOT NULL DEFAULT '',
    extra TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL, -- of the row as stored; an identical re-upload changes nothing
    batch_id BIGINT REFERENCES import_batches (id),
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL,
    UNIQUE (supplier_id, sku)
);
CREATE INDEX products_gtin ON products (gtin);
CREATE INDEX products_match ON products (match_key);
CREATE INDEX products_category ON products (category);

CREATE TABLE label_claims (
    id {{.ID}},
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    scheme TEXT NOT NULL,
    label_id TEXT NOT NULL, -- as written
    label_key TEXT NOT NULL, -- trimmed and case-folded
    UNIQUE (product_id, scheme, label_key)
);

CREATE TABLE schemes (
    id {{.ID}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    max_age_days INTEGER NOT NULL DEFAULT 45,
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL
);

CREATE TABLE registry_sources (
    id {{.ID}},
    scheme_id BIGINT NOT NULL REFERENCES schemes (id),
    name TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    column_mapping TEXT NOT NULL DEFAULT '{}',
    schedule TEXT NOT NULL DEFAULT '', -- cron expression; empty = manual only
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    last_attempt_at {{.Time}},
    last_success_at {{.Time}},
    last_status TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL
);

CREATE TABLE registry_snapshots (
    id {{.ID}},
    scheme_id BIGINT NOT NULL REFERENCES schemes (id),
    source_id BIGINT REFERENCES registry_sources (id),
    source TEXT NOT NULL, -- file name or URL
    sample BOOLEAN NOT NULL DEFAULT FALSE, -- shipped demo data, not a real registry
    sha256 TEXT NOT NULL,
    fetched_at {{.Time}} NOT NULL,
    entry_count INTEGER NOT NULL,
    previous_id BIGINT REFERENCES registry_snapshots (id),
    added INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0,
    expired INTEGER NOT NULL DEFAULT 0,
    diff TEXT NOT NULL DEFAULT '{}',
    created_by TEXT NOT NULL DEFAULT '',
    created_at {{.Time}} NOT NULL
);
CREATE INDEX registry_snapshots_scheme ON registry_snapshots (scheme_id, id);

CREATE TABLE registry_entries (
    id {{.ID}},
    snapshot_id BIGINT NOT NULL REFERENCES registry_snapshots (id) ON DELETE CASCADE,
    label_id TEXT NOT NULL,
    label_key TEXT NOT NULL,
    brand TEXT NOT NULL,
    model TEXT NOT NULL,
    models TEXT NOT NULL DEFAULT '', -- other model ids covered, ';'-separated
    product_type TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '',
    issued TEXT,
    expires TEXT,
    status TEXT NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
    url TEXT NOT NULL DEFAULT ''
);
CREATE INDEX registry_entries_label ON registry_entries (snapshot_id, label_key);

-- One row per model id an entry covers, for brand + model look-ups.
CREATE TABLE registry_entry_models (
    entry_id BIGINT NOT NULL REFERENCES registry_entries (id) ON DELETE CASCADE,
    match_key TEXT NOT NULL,
    PRIMARY KEY (entry_id, match_key)
);
CREATE INDEX registry_entry_models_key ON registry_entry_models (match_key);

CREATE TABLE policies (
    id {{.ID}},
    version TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    document TEXT NOT NULL, -- the policy as uploaded (rules, tier table, bases)
    sha256 TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE,
    uploaded_by TEXT NOT NULL DEFAULT '',
    created_at {{.Time}} NOT NULL,
    activated_at {{.Time}},
    activated_by TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX policies_one_active ON policies (active) WHERE active;

CREATE TABLE verdicts (
    id {{.ID}},
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    market TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('retail', 'procurement')),
    verdict TEXT NOT NULL CHECK (verdict IN ('allowed', 'blocked')),
    codes TEXT NOT NULL DEFAULT '', -- space-separated reason codes, for filtering
    reasons TEXT NOT NULL DEFAULT '[]',
    evidence TEXT NOT NULL DEFAULT '{}',
    policy_id BIGINT REFERENCES policies (id),
    as_of TEXT NOT NULL,
    content_hash TEXT NOT NULL, -- of verdict + reasons + evidence: unchanged verdicts are not rewritten
    evaluated_at {{.Time}} NOT NULL,
    UNIQUE (product_id, market, channel)
);
CREATE INDEX verdicts_filter ON verdicts (market, channel, verdict);

-- The change feed: its id is the cursor listing systems poll with.
CREATE TABLE verdict_changes (
    id {{.ID}},
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    market TEXT NOT NULL,
    channel TEXT NOT NULL,
    previous TEXT NOT NULL DEFAULT '', -- '' for a first verdict
    verdict TEXT NOT NULL,
    codes TEXT NOT NULL DEFAULT '',
    reasons TEXT NOT NULL DEFAULT '[]',
    policy_id BIGINT REFERENCES policies (id),
    changed_at {{.Time}} NOT NULL
);
CREATE INDEX verdict_changes_product ON verdict_changes (product_id, id);

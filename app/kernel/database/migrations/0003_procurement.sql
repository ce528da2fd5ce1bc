-- Purchase orders, their lines and waivers.

CREATE TABLE purchase_orders (
    id {{.ID}},
    reference TEXT NOT NULL,
    organisation TEXT NOT NULL,
    market TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'cancelled')),
    version INTEGER NOT NULL DEFAULT 1, -- optimistic locking
    created_by BIGINT NOT NULL REFERENCES users (id),
    submitted_by BIGINT REFERENCES users (id),
    submitted_at {{.Time}},
    decided_by BIGINT REFERENCES users (id),
    decided_at {{.Time}},
    decision_note TEXT NOT NULL DEFAULT '',
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL,
    UNIQUE (organisation, reference)
);

CREATE TABLE waivers (
    id {{.ID}},
    organisation TEXT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products (id),
    market TEXT NOT NULL,
    codes TEXT NOT NULL, -- the blocking codes it covers, space-separated
    justification TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused', 'revoked')),
    requested_by BIGINT NOT NULL REFERENCES users (id),
    requested_at {{.Time}} NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at {{.Time}},
    decision_note TEXT NOT NULL DEFAULT '',
    expires_on TEXT, -- ISO date
    -- four eyes: nobody decides their own request
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX waivers_product ON waivers (product_id, market);

CREATE TABLE purchase_order_lines (
    id {{.ID}},
    order_id BIGINT NOT NULL REFERENCES purchase_orders (id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price TEXT NOT NULL DEFAULT '',
    currency TEXT NOT NULL DEFAULT '',
    delivery_date TEXT NOT NULL,
    gate_verdict TEXT NOT NULL DEFAULT '',
    gate_reasons TEXT NOT NULL DEFAULT '[]',
    waiver_id BIGINT REFERENCES waivers (id),
    checked_at {{.Time}},
    UNIQUE (order_id, line_no)
);

-- One GTIN, several suppliers (SPEC §4 "offers"): each supplier's row is
-- that supplier's offer. An offer that disagrees with another supplier's
-- undisputed offer of the same GTIN is disputed: blocked with GTIN_DISPUTED
-- until a category manager accepts it or an upload makes it agree.
-- Products stored before this version are undisputed offers.
ALTER TABLE products ADD COLUMN disputed BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX products_disputed ON products (supplier_id) WHERE disputed;

CREATE TABLE gtin_disputes (
    id {{.ID}},
    gtin TEXT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE, -- the disputed offer
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    batch_id BIGINT REFERENCES import_batches (id), -- the upload that opened it
    offer_key TEXT NOT NULL, -- the disputed offer's agreement fields as opened
    status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected')),
    resolution TEXT NOT NULL DEFAULT '' CHECK (resolution IN ('', 'accepted', 'rejected', 'agreed')),
    opened_at {{.Time}} NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at {{.Time}},
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX gtin_disputes_product ON gtin_disputes (product_id, id);
CREATE INDEX gtin_disputes_status ON gtin_disputes (status, id);

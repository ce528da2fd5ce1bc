-- Supplier imports stream valid rows into a staging table in small batches,
-- then merge them into products in one transaction: memory stays flat in the
-- row count, other writers are never blocked for the whole parse, and a batch
-- still commits completely or not at all.

ALTER TABLE import_batches ADD COLUMN headers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE import_batches ADD COLUMN header_row INTEGER NOT NULL DEFAULT 0;

-- Two imports of one supplier never interleave.
CREATE UNIQUE INDEX import_batches_one_running ON import_batches (supplier_id) WHERE status IN ('queued', 'running');

CREATE TABLE import_staging (
    batch_id BIGINT NOT NULL REFERENCES import_batches (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    sku TEXT NOT NULL,
    gtin TEXT NOT NULL,
    brand TEXT NOT NULL,
    model TEXT NOT NULL,
    match_key TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    markets TEXT NOT NULL,
    password_model TEXT NOT NULL,
    vuln_report_contact TEXT NOT NULL,
    support_end TEXT,
    statement_of_compliance TEXT NOT NULL,
    ce_marking TEXT NOT NULL,
    hardware_version TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    price TEXT NOT NULL,
    currency TEXT NOT NULL,
    extra TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    row_data TEXT NOT NULL, -- the row as written, in case it is rejected after all
    PRIMARY KEY (batch_id, row_number)
);

CREATE TABLE import_staging_labels (
    batch_id BIGINT NOT NULL REFERENCES import_batches (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    scheme TEXT NOT NULL,
    label_id TEXT NOT NULL,
    label_key TEXT NOT NULL
);
CREATE INDEX import_staging_labels_row ON import_staging_labels (batch_id, row_number);

-- The label schemes Cascade knows from the start (SPEC §3); admins add more.
INSERT INTO schemes (code, name, description, max_age_days, created_at, updated_at) VALUES
    ('SG-CLS', 'Singapore Cybersecurity Labelling Scheme', 'CSA, levels 1-4', 45, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('FI-TRAFICOM', 'Finland Tietoturvamerkki (Cybersecurity Label)', 'Traficom, one level; no new labels issued', 45, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('DE-BSI', 'Germany IT-Sicherheitskennzeichen', 'BSI, one level', 45, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('KR-CIC', 'Korea IoT Cybersecurity Certification', 'KISA, Lite / Basic / Standard', 45, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('US-CTM', 'US Cyber Trust Mark', 'FCC, one mark', 45, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

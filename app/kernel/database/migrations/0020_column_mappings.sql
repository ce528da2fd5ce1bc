-- Saved column mappings (issue 19): a supplier's own headers and the column
-- of SPEC §2 each means, used by every later upload of that supplier; and,
-- on each batch, the entries of the mapping its file used, as they were then.

CREATE TABLE supplier_column_mappings (
    supplier_id BIGINT NOT NULL REFERENCES suppliers (id),
    header TEXT NOT NULL, -- as the supplier writes it
    header_key TEXT NOT NULL, -- folded as headers are matched: case, spaces, _ - . ignored
    column_name TEXT NOT NULL,
    updated_at {{.Time}} NOT NULL,
    PRIMARY KEY (supplier_id, header_key),
    UNIQUE (supplier_id, column_name) -- two headers never mean one column
);

ALTER TABLE import_batches ADD COLUMN mapped TEXT NOT NULL DEFAULT '{}';

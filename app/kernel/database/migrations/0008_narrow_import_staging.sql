-- Valid rows of a running import now wait in a local spool file and reach
-- products once, in the commit's transaction; the staging table keeps only
-- what the commit's clash and change checks need. A batch that was running
-- when this migration ran fails on commit and can be uploaded again.
DROP TABLE import_staging;
CREATE TABLE import_staging (
    batch_id BIGINT NOT NULL REFERENCES import_batches (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    sku TEXT NOT NULL,
    gtin TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_number)
);

-- Registry look-ups by brand and model happen in memory (registry.View);
-- no query filters products by match_key, and the index cost every write.
DROP INDEX products_match;

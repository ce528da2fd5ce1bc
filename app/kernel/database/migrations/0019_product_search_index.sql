-- Product search (issue 17): one row per product, filtered by its verdicts.
-- Each verdict condition is an EXISTS probe by product; this index answers
-- it without reading the verdict rows (their reasons and evidence are
-- large). The products' batch, for an import's own result, is indexed by
-- 0017_products_batch_index.

CREATE INDEX verdicts_product_search ON verdicts (product_id, channel, market, verdict, codes);

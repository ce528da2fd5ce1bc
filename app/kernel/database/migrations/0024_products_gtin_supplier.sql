-- An import's offer check asks, for each row, whether another supplier
-- offers its GTIN. With products_gtin on gtin alone every probe read the
-- product's row for its supplier_id; with the supplier in the index the
-- index answers it. GTIN look-ups (the gate, listings) use it as before.
DROP INDEX products_gtin;
CREATE INDEX products_gtin ON products (gtin, supplier_id);

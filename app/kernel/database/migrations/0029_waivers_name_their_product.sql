-- A waiver is for one product as it was when the buyer asked for it and
-- the approver read it (found in a hostile trial: a supplier re-using the SKU for another
-- product, another GTIN, brand and model, carried its approved waiver over
-- to the new product). So a waiver keeps the product's GTIN and match key
-- (brand and model, normalised) and its name as requested; it covers the
-- product only while both are still the same, and it reads as requested.
-- Waivers stored before this take the product as it is now: nothing older
-- is known.
ALTER TABLE waivers ADD COLUMN gtin TEXT NOT NULL DEFAULT '';
ALTER TABLE waivers ADD COLUMN match_key TEXT NOT NULL DEFAULT '';
ALTER TABLE waivers ADD COLUMN product TEXT NOT NULL DEFAULT '';
UPDATE waivers SET gtin = COALESCE((SELECT p.gtin FROM products p WHERE p.id = waivers.product_id), ''),
    match_key = COALESCE((SELECT p.match_key FROM products p WHERE p.id = waivers.product_id), '');

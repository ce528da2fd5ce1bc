-- Offers of one GTIN now agree only in the same category too (the
-- category decides which rules apply), so an offer's agreement key has the
-- category after brand and model (catalog/offers.Key: the fields joined by
-- U+001F). A dispute keeps the key of the offer it was opened or accepted
-- for, and an accepted offer stays accepted while its key is the same: a
-- key stored without the category would never match again, and every
-- offer a category manager had accepted would be disputed anew at its
-- next upload. The stored keys get the product's category now: under the
-- old keys a change of category alone kept an offer accepted, and so it
-- does here.
{{if .Postgres}}
UPDATE gtin_disputes d SET offer_key = substr(d.offer_key, 1, strpos(d.offer_key, chr(31))) || p.category || chr(31)
        || substr(d.offer_key, strpos(d.offer_key, chr(31)) + 1)
    FROM products p WHERE p.id = d.product_id AND strpos(d.offer_key, chr(31)) > 0;
{{else}}
UPDATE gtin_disputes SET offer_key = substr(offer_key, 1, instr(offer_key, char(31)))
        || (SELECT p.category FROM products p WHERE p.id = gtin_disputes.product_id) || char(31)
        || substr(offer_key, instr(offer_key, char(31)) + 1)
    WHERE instr(offer_key, char(31)) > 0 AND EXISTS (SELECT 1 FROM products p WHERE p.id = gtin_disputes.product_id);
{{end}}

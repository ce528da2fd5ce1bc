-- Recall lists (issue 20): a second kind of registry. A recall list is a
-- scheme of kind 'recalls' and reuses the snapshots, sources and refresh
-- jobs of label registries; its entries are recalls (label_id holds the
-- recall number, issued its date) with the GTINs, markets, hazard and title
-- a label entry does not have.
ALTER TABLE schemes ADD COLUMN kind TEXT NOT NULL DEFAULT 'labels';

ALTER TABLE registry_entries ADD COLUMN gtins TEXT NOT NULL DEFAULT ''; -- GTIN-14s, ';'-separated
ALTER TABLE registry_entries ADD COLUMN markets TEXT NOT NULL DEFAULT ''; -- market codes, space-separated
ALTER TABLE registry_entries ADD COLUMN hazard TEXT NOT NULL DEFAULT '';
ALTER TABLE registry_entries ADD COLUMN title TEXT NOT NULL DEFAULT '';

-- The recall lists Cascade knows from the start (DOMAIN.md "Recall lists").
INSERT INTO schemes (code, name, description, max_age_days, kind, created_at, updated_at) VALUES
    ('US-CPSC', 'U.S. CPSC recalls', 'Consumer Product Safety Commission Recalls API (saferproducts.gov); market US', 14, 'recalls', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('EU-SAFETY-GATE', 'EU Safety Gate (RAPEX) alerts', 'European Commission; no bulk API, canonical recall layout', 14, 'recalls', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

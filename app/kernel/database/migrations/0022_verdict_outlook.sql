-- Verdicts that know their future (issue 18). With its inputs unchanged a
-- verdict can only change on a date they name; each verdict keeps the next
-- such date, so the nightly run evaluates only the verdicts due, and the
-- date it turns blocked with the reasons, for notice before a block.
ALTER TABLE verdicts ADD COLUMN next_check_on TEXT; -- YYYY-MM-DD; NULL: no date can change it
ALTER TABLE verdicts ADD COLUMN blocks_on TEXT; -- allowed now, blocked from this date; NULL: no date blocks it
ALTER TABLE verdicts ADD COLUMN block_codes TEXT NOT NULL DEFAULT ''; -- the reasons that block it then
-- Verdicts stored before this version do not know their dates: due now.
UPDATE verdicts SET next_check_on = as_of;
CREATE INDEX verdicts_next_check ON verdicts (next_check_on);
CREATE INDEX verdicts_blocks_on ON verdicts (blocks_on);

-- The inputs (active policy, newest registry snapshot, newest product)
-- every stored verdict has been brought up to date with. A run that finds
-- newer ones evaluates what they changed; none yet: every product.
CREATE TABLE verdict_inputs (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    policy_id BIGINT NOT NULL,
    snapshot_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL
);
CREATE INDEX label_claims_label ON label_claims (scheme, label_key); -- the products a registry entry's change touches

-- Notice before a block (SPEC §7): one entry per verdict and block date,
-- written when the block comes within the notice period; the webhooks'
-- verdict.upcoming_block events are read from it by id, as the change feed.
CREATE TABLE upcoming_blocks (
    id {{.ID}},
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    market TEXT NOT NULL,
    channel TEXT NOT NULL,
    blocks_on TEXT NOT NULL,
    codes TEXT NOT NULL DEFAULT '', -- the reasons that will block it
    noticed_at {{.Time}} NOT NULL,
    UNIQUE (product_id, market, channel, blocks_on)
);
INSERT INTO webhook_cursors (stream, position) VALUES ('upcoming_blocks', 0);

-- What a verdict says, stored once (issue 18). A catalogue's verdicts say
-- one of few things: the bench catalogue's 1,000,000 say ten, and a blocked
-- verdict's reasons and evidence are 530 bytes of the row. Each verdict now
-- refers to its outcome, the reasons and evidence many verdicts share, kept
-- once by the hash of their content. An outcome is never changed: equal
-- content, same row; different content, another row.
CREATE TABLE verdict_outcomes (
    id {{.ID}},
    hash TEXT NOT NULL UNIQUE, -- SHA-256 (hex) of reasons, a NUL, evidence; 'stored N' for those moved here by this migration
    reasons TEXT NOT NULL,
    evidence TEXT NOT NULL
);

-- The outcomes of the verdicts stored so far, one a distinct content.
INSERT INTO verdict_outcomes (hash, reasons, evidence)
    SELECT 'stored ' || MIN(id), reasons, evidence FROM verdicts GROUP BY reasons, evidence ORDER BY MIN(id);

{{if .Postgres}}
ALTER TABLE verdicts ADD COLUMN outcome_id BIGINT REFERENCES verdict_outcomes (id);
UPDATE verdicts v SET outcome_id = o.id FROM verdict_outcomes o WHERE o.reasons = v.reasons AND o.evidence = v.evidence;
ALTER TABLE verdicts ALTER COLUMN outcome_id SET NOT NULL;
ALTER TABLE verdicts DROP COLUMN reasons;
ALTER TABLE verdicts DROP COLUMN evidence;
{{else}}
-- SQLite adds a column only as nullable: the table is made again, with
-- outcome_id NOT NULL, its rows copied and its indexes made again.
CREATE INDEX verdict_outcomes_content ON verdict_outcomes (reasons, evidence);
CREATE TABLE verdicts_with_outcomes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    market TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('retail', 'procurement')),
    verdict TEXT NOT NULL CHECK (verdict IN ('allowed', 'blocked')),
    codes TEXT NOT NULL DEFAULT '', -- space-separated reason codes, for filtering
    outcome_id BIGINT NOT NULL REFERENCES verdict_outcomes (id),
    policy_id BIGINT REFERENCES policies (id),
    as_of TEXT NOT NULL,
    content_hash TEXT NOT NULL, -- of verdict + reasons + evidence + outlook: unchanged verdicts are not rewritten
    evaluated_at TIMESTAMP NOT NULL,
    next_check_on TEXT, -- YYYY-MM-DD; NULL: no date can change it
    blocks_on TEXT, -- allowed now, blocked from this date; NULL: no date blocks it
    block_codes TEXT NOT NULL DEFAULT '', -- the reasons that block it then
    UNIQUE (product_id, market, channel)
);
INSERT INTO verdicts_with_outcomes (id, product_id, market, channel, verdict, codes, outcome_id, policy_id, as_of, content_hash, evaluated_at,
        next_check_on, blocks_on, block_codes)
    SELECT v.id, v.product_id, v.market, v.channel, v.verdict, v.codes, o.id, v.policy_id, v.as_of, v.content_hash, v.evaluated_at,
        v.next_check_on, v.blocks_on, v.block_codes
    FROM verdicts v JOIN verdict_outcomes o ON o.reasons = v.reasons AND o.evidence = v.evidence ORDER BY v.id;
-- New verdicts go on taking ids above every id ever given, as before.
DELETE FROM sqlite_sequence WHERE name = 'verdicts_with_outcomes';
INSERT INTO sqlite_sequence (name, seq) SELECT 'verdicts_with_outcomes', seq FROM sqlite_sequence WHERE name = 'verdicts';
DROP TABLE verdicts;
ALTER TABLE verdicts_with_outcomes RENAME TO verdicts;
DROP INDEX verdict_outcomes_content;
CREATE INDEX verdicts_filter ON verdicts (market, channel, verdict);
CREATE INDEX verdicts_product_search ON verdicts (product_id, channel, market, verdict, codes);
CREATE INDEX verdicts_next_check ON verdicts (next_check_on);
CREATE INDEX verdicts_blocks_on ON verdicts (blocks_on) WHERE blocks_on IS NOT NULL;
CREATE INDEX verdicts_upcoming ON verdicts (market, channel, blocks_on) WHERE blocks_on IS NOT NULL;
{{end}}

-- The verdicts of an outcome: a write that releases one finds by it whether
-- any verdict still refers to it, and the foreign key's own check (SQLite's
-- on deleting an outcome) reads it instead of every verdict.
CREATE INDEX verdicts_outcome ON verdicts (outcome_id);

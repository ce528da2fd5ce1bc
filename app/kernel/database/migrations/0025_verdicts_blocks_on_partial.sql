-- Most verdicts will never turn blocked by a date (a blocked verdict, or an
-- allowed one no date can end: nine in ten of a typical catalogue), yet
-- verdicts_blocks_on held an entry for each of them, written in date order
-- at a random place of the index: a twentieth of a first evaluation (issue
-- 18). Every query that reads it asks for a range of dates, which only a
-- verdict with a block date can be in, so the index holds only those.
DROP INDEX verdicts_blocks_on;
CREATE INDEX verdicts_blocks_on ON verdicts (blocks_on) WHERE blocks_on IS NOT NULL;

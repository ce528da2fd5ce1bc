-- The calendar of upcoming blocks (issue 18): the verdicts that turn blocked
-- in a date range, by market and channel. verdicts_filter would read every
-- allowed verdict of the market and channel (most of them) to find the few
-- with a block date; this index holds only those few, by date.
CREATE INDEX verdicts_upcoming ON verdicts (market, channel, blocks_on) WHERE blocks_on IS NOT NULL;

-- 005: noticing that a source log changed under ferry.
--
-- The last record of each partition the target acknowledged is remembered
-- by its source offset, timestamp and a 64-bit XXH3 hash of its key and
-- value: when a flow starts a partition again it reads that record back and
-- compares, so a topic that was deleted and recreated (or a log rewritten)
-- while ferry was away stops the partition instead of being mixed into the
-- remote topic. (last_upstream is the last record with a known target
-- offset, for translation; this one is the last acknowledged at all.)
ALTER TABLE positions ADD COLUMN last_record INTEGER NOT NULL DEFAULT -1;
ALTER TABLE positions ADD COLUMN last_timestamp INTEGER NOT NULL DEFAULT -1;
ALTER TABLE positions ADD COLUMN last_hash INTEGER;   -- NULL: unknown
-- A partition whose source log changed under ferry translates nothing until
-- an operator resumes it (translate_from, added by 006, is then raised to
-- the largest offset; the resume's history cut sets it anew).

-- Source offsets that were never mirrored because the source deleted them
-- first (retention, DeleteRecords) while ferry was down or behind:
-- [from_offset, to_offset). Kept for the operator and the auditor.
CREATE TABLE source_gaps (
    flow        TEXT    NOT NULL,
    topic       TEXT    NOT NULL,   -- source topic
    partition   INTEGER NOT NULL,
    from_offset INTEGER NOT NULL CHECK (from_offset >= 0),
    to_offset   INTEGER NOT NULL CHECK (to_offset > from_offset),
    ts_ms       INTEGER NOT NULL,
    PRIMARY KEY (flow, topic, partition, from_offset)
) WITHOUT ROWID;

-- 006: where a partition's offset-sync history is exact, and the ranges
-- it cannot translate (appliance/translate.h).
--
-- translate_from: group offsets g >= translate_from translate exactly;
-- below it the history was pruned (ferry.offset-syncs.retention, or the
-- source log start moved past it) or mirroring had not begun, and ferry
-- answers "cannot translate". -1: no history yet.
ALTER TABLE positions ADD COLUMN translate_from INTEGER NOT NULL DEFAULT -1;

-- A history saved before this column existed is exact from its oldest
-- kept sync at best (older ones may have been pruned).
UPDATE positions SET translate_from = COALESCE(
    (SELECT s.upstream FROM offset_syncs s WHERE s.flow = positions.flow AND
     s.topic = positions.topic AND s.partition = positions.partition
     ORDER BY s.downstream LIMIT 1), -1);

-- Group offsets g with upstream_from <= g <= upstream_to cannot be
-- translated: records below g were acknowledged by the target without
-- their offsets (a duplicate sequence, an implicit acknowledgement), so
-- how many of them lie below g on the target is not known.
CREATE TABLE offset_sync_holes (
    flow          TEXT    NOT NULL,
    topic         TEXT    NOT NULL,   -- source topic
    partition     INTEGER NOT NULL,
    upstream_from INTEGER NOT NULL,
    upstream_to   INTEGER NOT NULL CHECK (upstream_to >= upstream_from),
    ts_ms         INTEGER NOT NULL,
    PRIMARY KEY (flow, topic, partition, upstream_from)
) WITHOUT ROWID;

-- 003: offset syncs, for exact offset translation.
--
-- A row is written whenever the delta between a partition's upstream
-- (source) and downstream (target) offsets changes; between two rows the
-- mirrored records are contiguous on both sides (appliance/translate.h).
-- Rows are kept per partition up to ferry.offset-syncs.retention (the
-- oldest go first).
CREATE TABLE offset_syncs (
    flow        TEXT    NOT NULL,
    topic       TEXT    NOT NULL,   -- source topic
    partition   INTEGER NOT NULL,
    upstream    INTEGER NOT NULL CHECK (upstream >= 0),
    downstream  INTEGER NOT NULL CHECK (downstream >= 0),
    ts_ms       INTEGER NOT NULL,
    PRIMARY KEY (flow, topic, partition, downstream)
) WITHOUT ROWID;

-- The last mirrored record of each partition: where translation ends.
ALTER TABLE positions ADD COLUMN last_upstream INTEGER NOT NULL DEFAULT -1;
ALTER TABLE positions ADD COLUMN last_downstream INTEGER NOT NULL DEFAULT -1;

-- Consumer-group offsets ferry committed on a target (failover, group
-- offset sync), so a translated offset never moves backwards.
CREATE TABLE group_commits (
    cluster     TEXT    NOT NULL,   -- target alias
    grp         TEXT    NOT NULL,
    topic       TEXT    NOT NULL,   -- remote topic
    partition   INTEGER NOT NULL,
    upstream    INTEGER NOT NULL,
    downstream  INTEGER NOT NULL,
    ts_ms       INTEGER NOT NULL,
    PRIMARY KEY (cluster, grp, topic, partition)
) WITHOUT ROWID;

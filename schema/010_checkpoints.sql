-- 010: the last checkpoint ferry emitted per flow, consumer group and
-- source partition (`show checkpoints`).
--
-- A row is written when the target acknowledged the checkpoint record
-- (appliance/dr/checkpoint.c), replacing the partition's previous one, so
-- it says what MM2's checkpoints topic on the target holds for it. The
-- flow's rows stay when the flow is removed: its checkpoints stay on the
-- target too.
CREATE TABLE checkpoints (
    flow        TEXT    NOT NULL,   -- "A->B"
    grp         TEXT    NOT NULL,   -- consumer group
    topic       TEXT    NOT NULL,   -- source topic
    remote_topic TEXT   NOT NULL,   -- its name on the target (as in the checkpoint)
    partition   INTEGER NOT NULL CHECK (partition >= 0),
    upstream    INTEGER NOT NULL CHECK (upstream >= 0),    -- the group's offset on the source
    downstream  INTEGER NOT NULL CHECK (downstream >= 0),  -- where it resumes on the target
    ts_ms       INTEGER NOT NULL,   -- when the target acknowledged it
    PRIMARY KEY (flow, grp, topic, partition)
) WITHOUT ROWID;
CREATE INDEX checkpoints_grp ON checkpoints (grp);

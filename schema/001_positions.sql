-- 001: where each flow stands in each source partition.
--
-- next_offset is the first source offset whose record (and every record
-- before it) the target has not yet acknowledged: on restart the flow
-- resumes there, so a crash re-sends, never skips.
CREATE TABLE positions (
    flow        TEXT    NOT NULL,   -- "A->B"
    topic       TEXT    NOT NULL,   -- source topic name
    partition   INTEGER NOT NULL CHECK (partition >= 0),
    next_offset INTEGER NOT NULL CHECK (next_offset >= 0),
    updated_ms  INTEGER NOT NULL,   -- unix time in ms of the last write
    PRIMARY KEY (flow, topic, partition)
) WITHOUT ROWID;

-- 008: the transfer ledger: which data went where, and when.
--
-- One row per UTC day x flow x source topic x partition. A row grows in
-- the same transaction that saves the partition's position
-- (state_positions_save), by exactly the records that position passed
-- over: what the target acknowledged below it. So the ledger counts each
-- source record once: a record re-sent after a crash was below no saved
-- position before, so it was not counted before either. The day is the
-- UTC date of that commit (when ferry mirrored the records), not of the
-- records' own timestamps.
CREATE TABLE transfers (
    day          TEXT    NOT NULL,   -- YYYY-MM-DD, UTC, of the commit
    flow         TEXT    NOT NULL,   -- "A->B"
    topic        TEXT    NOT NULL,   -- source topic
    partition    INTEGER NOT NULL CHECK (partition >= -1),  -- -1: the topic as a whole
    records      INTEGER NOT NULL DEFAULT 0 CHECK (records >= 0),
    bytes        INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),  -- key + value
    first_offset INTEGER,            -- lowest source offset mirrored that day; NULL none
    last_offset  INTEGER,            -- highest
    first_ts     INTEGER,            -- the timestamp (ms) of the record at first_offset; NULL unknown
    last_ts      INTEGER,            -- ... at last_offset
    rule         TEXT,               -- the placement rule that applied (NULL: none)
    category     TEXT,               -- its category
    held_back    INTEGER NOT NULL DEFAULT 0 CHECK (held_back >= 0),
    updated_ms   INTEGER NOT NULL,
    PRIMARY KEY (day, flow, topic, partition)
) WITHOUT ROWID;
CREATE INDEX transfers_flow ON transfers (flow, day);

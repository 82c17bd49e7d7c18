-- 004: failbacks started with `ferry failback SOURCE->TARGET`: the reverse
-- mirroring of the remote topics back to the old primary, restarted with
-- ferryd until the flow is failed back no more.
CREATE TABLE failbacks (
    flow      TEXT PRIMARY KEY,   -- the flow failed back ("A->B")
    ts_ms     INTEGER NOT NULL,
    who       TEXT    NOT NULL
) WITHOUT ROWID;

-- 002: the control plane's memory: the audit trail, committed
-- configuration revisions, and flows an operator paused.

-- Every control request (allowed or denied) and every automatic action.
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    ts_ms    INTEGER NOT NULL,   -- unix time in ms
    who      TEXT    NOT NULL,   -- "alice (uid 1000)", "cert:CN=ops", or "ferryd"
    role     TEXT    NOT NULL,   -- none, auditor, operator, admin, or system
    origin   TEXT    NOT NULL,   -- unix, tls, or ferryd (automatic actions)
    action   TEXT    NOT NULL,   -- the command line, or what ferryd did
    result   TEXT    NOT NULL CHECK (result IN ('ok', 'denied', 'error')),
    detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_ts ON audit (ts_ms);

-- Revision 1 is the file ferryd was started from; later ones are commits.
CREATE TABLE config_revisions (
    rev          INTEGER PRIMARY KEY,
    ts_ms        INTEGER NOT NULL,
    who          TEXT    NOT NULL,
    comment      TEXT    NOT NULL DEFAULT '',
    text         TEXT    NOT NULL,   -- the whole configuration, MM2 properties
    source_file  TEXT    NOT NULL,   -- the file this lineage started from
    source_sha256 TEXT   NOT NULL    -- its hash then: a changed file starts a new lineage
);

-- Flows paused by an operator stay paused across restarts.
CREATE TABLE flow_admin (
    flow     TEXT PRIMARY KEY,
    paused   INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    ts_ms    INTEGER NOT NULL,
    who      TEXT    NOT NULL
) WITHOUT ROWID;

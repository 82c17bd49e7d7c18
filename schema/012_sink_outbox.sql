-- 012: the history sink's outbox (appliance/sink/sink.c).
--
-- Every event the sink delivers to PostgreSQL is first a row here, written
-- in the same transaction as what it reports: TRIGGERs below for the audit
-- trail, offset syncs, the transfer ledger, configuration revisions and
-- placement verdicts; ferryd's C code for cluster and rule snapshots. The
-- sink thread reads rows in id order, sends them (COPY) and deletes them
-- once PostgreSQL has committed them with its cursor, so an event waits
-- here, on disk, for as long as PostgreSQL is away.
--
-- id is the event id PostgreSQL keeps (its cursor is the highest id
-- delivered): AUTOINCREMENT, so an id is never handed out twice even after
-- the rows below it were deleted. key names what the event is about; an
-- event that replaces an undelivered one of the same key (a ledger row
-- that grew again) takes a new, higher id (INSERT OR REPLACE).
CREATE TABLE sink_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,   -- audit, offset_sync, transfer, checkpoint,
                                    -- config_revision, cluster_snapshot,
                                    -- rule_snapshot, placement_decision
    key         TEXT    NOT NULL UNIQUE,   -- a JSON array: kind and natural key
    payload     TEXT    NOT NULL,   -- JSON; keys are PostgreSQL's column names
    created_ms  INTEGER NOT NULL    -- when it was queued: the sink's lag
);

-- One row: whether a sink is configured (ferry.sink.conninfo). While it
-- is not, the triggers queue nothing; turning it on backfills the outbox
-- from the tables below in the transaction that sets enabled
-- (appliance/sink/sink.c), and PostgreSQL's unique keys make a backfill
-- of events delivered before harmless.
CREATE TABLE sink_state (
    one      INTEGER PRIMARY KEY CHECK (one = 1),
    enabled  INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1))
);
INSERT INTO sink_state (one, enabled) VALUES (1, 0);

-- The last placement verdict of each topic a flow copies (discover.c):
-- written only when it changes, so its trigger queues a decision event
-- when ferryd first decides or changes its verdict, not every round.
CREATE TABLE placement_verdicts (
    flow        TEXT    NOT NULL,
    topic       TEXT    NOT NULL,   -- source topic
    cluster     TEXT    NOT NULL,   -- the flow's target
    allowed     INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    rule        TEXT    NOT NULL DEFAULT '',   -- rules naming the topic (allowed) or blocking it
    category    TEXT    NOT NULL DEFAULT '',
    basis       TEXT    NOT NULL DEFAULT '',
    decided_ms  INTEGER NOT NULL,
    PRIMARY KEY (flow, topic)
) WITHOUT ROWID;

-- One view per source table: the event each row makes (kind, key,
-- payload), and ord, the order a backfill queues them in. The triggers
-- and the backfill both read these, so an event is spelt once. A view
-- named sink_src_* is a source: the backfill (sink.c) takes every one
-- there is, so a later migration adds a source by adding its view.
-- Times are ISO-8601 UTC with milliseconds (integer arithmetic: a ts_ms
-- through a float could lose its last digit).
CREATE VIEW sink_src_audit AS
SELECT id AS ord, id, 'audit' AS kind, json_array('audit', id) AS key,
       json_object('id', id,
                   'ts', strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch')
                         || printf('.%03dZ', ts_ms % 1000),
                   'ts_ms', ts_ms, 'who', who, 'role', role, 'origin', origin,
                   'action', action, 'result', result, 'detail', detail,
                   'prev_hash', prev_hash, 'hash', hash) AS payload
FROM audit;

CREATE VIEW sink_src_offset_syncs AS
SELECT ts_ms AS ord, flow, topic, partition, downstream, 'offset_sync' AS kind,
       json_array('offset_sync', flow, topic, partition, upstream, downstream) AS key,
       json_object('flow', flow, 'topic', topic, 'partition', partition,
                   'upstream', upstream, 'downstream', downstream,
                   'recorded_at', strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch')
                                  || printf('.%03dZ', ts_ms % 1000)) AS payload
FROM offset_syncs;

CREATE VIEW sink_src_transfers AS
SELECT updated_ms AS ord, day, flow, topic, partition, 'transfer' AS kind,
       json_array('transfer', day, flow, topic, partition) AS key,
       json_object('day', day, 'flow', flow, 'topic', topic, 'partition', partition,
                   'records', records, 'bytes', bytes,
                   'first_offset', first_offset, 'last_offset', last_offset,
                   'first_ts', CASE WHEN first_ts >= 0 THEN
                       strftime('%Y-%m-%dT%H:%M:%S', first_ts / 1000, 'unixepoch')
                       || printf('.%03dZ', first_ts % 1000) END,
                   'last_ts', CASE WHEN last_ts >= 0 THEN
                       strftime('%Y-%m-%dT%H:%M:%S', last_ts / 1000, 'unixepoch')
                       || printf('.%03dZ', last_ts % 1000) END,
                   'rule', rule, 'category', category, 'held_back', held_back,
                   'updated_at', strftime('%Y-%m-%dT%H:%M:%S', updated_ms / 1000, 'unixepoch')
                                 || printf('.%03dZ', updated_ms % 1000)) AS payload
FROM transfers;

CREATE VIEW sink_src_config_revisions AS
SELECT rev AS ord, rev, 'config_revision' AS kind, json_array('config_revision', rev) AS key,
       json_object('rev', rev,
                   'ts', strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch')
                         || printf('.%03dZ', ts_ms % 1000),
                   'who', who, 'comment', comment, 'text', text) AS payload
FROM config_revisions;

CREATE VIEW sink_src_placement AS
SELECT decided_ms AS ord, flow, topic, 'placement_decision' AS kind,
       json_array('placement_decision', flow, topic, cluster, decided_ms) AS key,
       json_object('decided_at', strftime('%Y-%m-%dT%H:%M:%S', decided_ms / 1000, 'unixepoch')
                                 || printf('.%03dZ', decided_ms % 1000),
                   'flow', flow, 'topic', topic, 'cluster', cluster,
                   'allowed', json(CASE allowed WHEN 1 THEN 'true' ELSE 'false' END),
                   'rule', rule, 'category', category, 'basis', basis) AS payload
FROM placement_verdicts;

-- created_ms is the trigger's now (julianday: a float, good enough for a lag)
CREATE TRIGGER sink_audit AFTER INSERT ON audit
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_audit s WHERE id = NEW.id
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;

-- offset_syncs rows are written with INSERT OR REPLACE; a sync written
-- again with the same offsets is the same event (OR IGNORE)
CREATE TRIGGER sink_offset_syncs AFTER INSERT ON offset_syncs
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_offset_syncs s
    WHERE flow = NEW.flow AND topic = NEW.topic AND partition = NEW.partition
      AND downstream = NEW.downstream
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;

-- a ledger row grows with every save: one pending event per row, the
-- newest (coalesced by key), which PostgreSQL upserts
CREATE TRIGGER sink_transfers_ins AFTER INSERT ON transfers
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    DELETE FROM sink_outbox WHERE key = (SELECT key FROM sink_src_transfers
        WHERE day = NEW.day AND flow = NEW.flow AND topic = NEW.topic
          AND partition = NEW.partition);
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_transfers s
    WHERE day = NEW.day AND flow = NEW.flow AND topic = NEW.topic
      AND partition = NEW.partition;
END;
CREATE TRIGGER sink_transfers_upd AFTER UPDATE ON transfers
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    DELETE FROM sink_outbox WHERE key = (SELECT key FROM sink_src_transfers
        WHERE day = NEW.day AND flow = NEW.flow AND topic = NEW.topic
          AND partition = NEW.partition);
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_transfers s
    WHERE day = NEW.day AND flow = NEW.flow AND topic = NEW.topic
      AND partition = NEW.partition;
END;

CREATE TRIGGER sink_config_revisions AFTER INSERT ON config_revisions
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_config_revisions s WHERE rev = NEW.rev
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;

CREATE TRIGGER sink_placement_ins AFTER INSERT ON placement_verdicts
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_placement s WHERE flow = NEW.flow AND topic = NEW.topic
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;
CREATE TRIGGER sink_placement_upd AFTER UPDATE ON placement_verdicts
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_placement s WHERE flow = NEW.flow AND topic = NEW.topic
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;

-- Checkpoints: `checkpoints` keeps the last checkpoint per (flow, grp, topic,
-- partition); PostgreSQL keeps them all (checkpoint_history), so every
-- new (upstream, downstream) is an event of its own, with the remote topic
-- the checkpoint named.
CREATE VIEW sink_src_checkpoints AS
SELECT ts_ms AS ord, flow, grp, topic, partition, 'checkpoint' AS kind,
       json_array('checkpoint', flow, grp, topic, partition, upstream, downstream) AS key,
       json_object('flow', flow, 'grp', grp, 'topic', topic, 'remote_topic', remote_topic,
                   'partition', partition,
                   'upstream', upstream, 'downstream', downstream,
                   'emitted_at', strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch')
                                 || printf('.%03dZ', ts_ms % 1000)) AS payload
FROM checkpoints;

CREATE TRIGGER sink_checkpoints_ins AFTER INSERT ON checkpoints
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_checkpoints s
    WHERE flow = NEW.flow AND grp = NEW.grp AND topic = NEW.topic
      AND partition = NEW.partition
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;
-- ferry re-emits a group's checkpoint every round: only a new position is news
CREATE TRIGGER sink_checkpoints_upd AFTER UPDATE ON checkpoints
WHEN (SELECT enabled FROM sink_state) = 1
     AND (OLD.upstream IS NOT NEW.upstream OR OLD.downstream IS NOT NEW.downstream)
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_checkpoints s
    WHERE flow = NEW.flow AND grp = NEW.grp AND topic = NEW.topic
      AND partition = NEW.partition
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;

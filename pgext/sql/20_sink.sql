-- 20_sink.sql — the tables ferryd's history sink fills (appliance/sink/,
-- ferry.sink.conninfo), and the one function it calls.
--
-- Every table carries the appliance (ferry.appliance.name, as ferryd's
-- hello says it) and event_id, the id of the outbox row in ferryd's state
-- store that brought the row (for a row updated since, the latest). Each
-- has a natural unique key, so an event delivered again (a backfill, a
-- retry after an unknown outcome) changes nothing.
--
-- ferryd sends a batch with COPY into its own temporary table
-- pg_temp.ferry_sink_stage (event_id bigint, kind text, payload jsonb,
-- ON COMMIT DELETE ROWS; SELECT granted to PUBLIC, which reaches no one
-- else's session, so that this function's owner may read it) and calls
-- ferry.sink_apply(appliance), which moves the batch into these tables and
-- advances ferry.sink_cursor in the same transaction. Only events above the
-- cursor are applied: the cursor is what ferryd reads back after a
-- reconnect or a crash, so none is lost and none applied twice.

CREATE TABLE ferry.audit_event (
    appliance   text        NOT NULL,
    id          bigint      NOT NULL,
    ts          timestamptz NOT NULL,
    ts_ms       bigint      NOT NULL,
    who         text        NOT NULL,
    role        text        NOT NULL,
    origin      text        NOT NULL,
    action      text        NOT NULL,
    result      text        NOT NULL,
    detail      text        NOT NULL DEFAULT '',
    prev_hash   text,
    hash        text,
    event_id    bigint      NOT NULL,
    PRIMARY KEY (appliance, id)
);
CREATE INDEX audit_event_ts ON ferry.audit_event (ts);

CREATE TABLE ferry.offset_sync_history (
    appliance   text        NOT NULL,
    flow        text        NOT NULL,
    topic       text        NOT NULL,
    partition   int         NOT NULL,
    upstream    bigint      NOT NULL,
    downstream  bigint      NOT NULL,
    recorded_at timestamptz NOT NULL,
    event_id    bigint      NOT NULL,
    UNIQUE (appliance, flow, topic, partition, upstream, downstream)
);

CREATE TABLE ferry.checkpoint_history (
    appliance    text        NOT NULL,
    flow         text        NOT NULL,
    grp          text        NOT NULL,
    topic        text        NOT NULL,
    remote_topic text,
    partition    int         NOT NULL,
    upstream     bigint      NOT NULL,
    downstream   bigint      NOT NULL,
    emitted_at   timestamptz NOT NULL,
    event_id     bigint      NOT NULL,
    UNIQUE (appliance, flow, grp, topic, partition, upstream, downstream)
);

-- the transfer ledger: one row per UTC day, flow, topic, partition
-- (-1: the topic as a whole, its held-back row), upserted as it grows
CREATE TABLE ferry.transfer (
    appliance    text        NOT NULL,
    day          date        NOT NULL,
    flow         text        NOT NULL,
    topic        text        NOT NULL,
    partition    int         NOT NULL,
    records      bigint      NOT NULL,
    bytes        bigint      NOT NULL,
    first_offset bigint,
    last_offset  bigint,
    first_ts     timestamptz,
    last_ts      timestamptz,
    rule         text,
    category     text,
    held_back    bigint      NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL,
    event_id     bigint      NOT NULL,
    PRIMARY KEY (appliance, day, flow, topic, partition)
);

CREATE TABLE ferry.config_revision (
    appliance   text        NOT NULL,
    rev         int         NOT NULL,
    ts          timestamptz NOT NULL,
    who         text        NOT NULL,
    comment     text        NOT NULL DEFAULT '',
    text        text        NOT NULL,
    event_id    bigint      NOT NULL,
    PRIMARY KEY (appliance, rev)
);

-- the clusters and placement rules of each configuration revision, as
-- ferryd ran them
CREATE TABLE ferry.cluster_snapshot (
    appliance         text   NOT NULL,
    rev               int    NOT NULL,
    cluster           text   NOT NULL,
    bootstrap         text,
    labels            jsonb  NOT NULL DEFAULT '{}',
    security_protocol text,
    sasl_mechanism    text,
    principal         text,   -- SASL username or TLS certificate subject
    event_id          bigint NOT NULL,
    PRIMARY KEY (appliance, rev, cluster)
);

CREATE TABLE ferry.rule_snapshot (
    appliance   text   NOT NULL,
    rev         int    NOT NULL,
    rule        text   NOT NULL,
    topics      text,
    requires    text,
    category    text,
    basis       text,
    event_id    bigint NOT NULL,
    PRIMARY KEY (appliance, rev, rule)
);

-- a row when ferryd first decides, or changes, its verdict on whether a
-- flow's target may hold a copy of a topic
CREATE TABLE ferry.placement_decision (
    appliance   text        NOT NULL,
    decided_at  timestamptz NOT NULL,
    flow        text        NOT NULL,
    topic       text        NOT NULL,
    cluster     text        NOT NULL,
    allowed     bool        NOT NULL,
    rule        text,
    category    text,
    basis       text,
    event_id    bigint      NOT NULL,
    UNIQUE (appliance, flow, topic, cluster, decided_at)
);

-- the retention.ms in force on a remote topic at its target cluster, as
-- the target said (the topic's override or the cluster's default): a row
-- each time ferryd first read a value or read a changed one (the topic
-- config sync, `show placement`); -1 is forever. topic is the remote
-- topic's name there; flow and source_topic name the copy it is (what
-- the residency report joins the ledger by).
CREATE TABLE ferry.topic_retention (
    appliance    text        NOT NULL,
    cluster      text        NOT NULL,
    topic        text        NOT NULL,
    retention_ms bigint      NOT NULL,
    observed_at  timestamptz NOT NULL,
    flow         text        NOT NULL,
    source_topic text        NOT NULL,
    event_id     bigint      NOT NULL,
    UNIQUE (appliance, cluster, topic, observed_at)
);

-- an audit event that arrived for an (appliance, id) ferry.audit_event
-- already holds with other content: ferryd's state store was rewound
-- (its newest entries deleted) or replaced (a new or restored state
-- directory under the same appliance name), so it numbers entries again
-- from an id already used. The entry kept in ferry.audit_event is the one
-- that came first; this one is kept here, whole, never dropped, and
-- ferry.audit_verify() calls the appliance's chain broken.
CREATE TABLE ferry.audit_conflict (
    appliance     text        NOT NULL,
    id            bigint      NOT NULL,
    event_id      bigint      NOT NULL,
    received_at   timestamptz NOT NULL,
    incoming      jsonb       NOT NULL,   -- the event's payload as it arrived
    existing_hash text,                   -- the hash of the entry kept
    incoming_hash text
);
CREATE INDEX audit_conflict_id ON ferry.audit_conflict (appliance, id);

-- the highest event id of each appliance applied here
CREATE TABLE ferry.sink_cursor (
    appliance   text        PRIMARY KEY,
    event_id    bigint      NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Moves the caller's staged batch (pg_temp.ferry_sink_stage) into the
-- tables above and returns the appliance's cursor: the highest event id
-- applied. With nothing staged it only reads the cursor (ferryd does so
-- after each connect). SECURITY DEFINER so the sink's role needs no
-- privilege on the tables, only EXECUTE on this function, which no one
-- has until the DBA grants it.
CREATE FUNCTION ferry.sink_apply(p_appliance text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cur bigint;
    top bigint;
BEGIN
    IF p_appliance IS NULL OR p_appliance = '' THEN
        RAISE EXCEPTION 'ferry.sink_apply: appliance name is empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- the stage is the caller's own relation, read below with this
    -- function's owner's rights: only the plain temporary table ferryd
    -- makes will do. A view, a row-level security policy, a child table or
    -- a column type of the caller's (its casts) would run the caller's code
    -- as the owner.
    IF NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_class c
         WHERE c.oid = pg_catalog.to_regclass('pg_temp.ferry_sink_stage')
           AND c.relnamespace = pg_catalog.pg_my_temp_schema()
           AND c.relkind = 'r' AND NOT c.relrowsecurity AND NOT c.relhassubclass
           AND (SELECT pg_catalog.array_agg(a.attname::text || ' ' || a.atttypid
                                            ORDER BY a.attnum)
                  FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
               = ARRAY['event_id ' || 'pg_catalog.int8'::pg_catalog.regtype::oid,
                       'kind ' || 'pg_catalog.text'::pg_catalog.regtype::oid,
                       'payload ' || 'pg_catalog.jsonb'::pg_catalog.regtype::oid]) THEN
        RAISE EXCEPTION 'ferry.sink_apply: pg_temp.ferry_sink_stage is not the staging table ferryd makes'
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'It must be a plain temporary table (event_id bigint, kind text, payload jsonb) without row-level security or child tables.';
    END IF;
    INSERT INTO ferry.sink_cursor (appliance, event_id, updated_at)
    VALUES (p_appliance, 0, now())
    ON CONFLICT (appliance) DO NOTHING;
    -- one sink per appliance at a time: a second one waits here
    SELECT c.event_id INTO cur FROM ferry.sink_cursor c
    WHERE c.appliance = p_appliance FOR UPDATE;

    INSERT INTO ferry.audit_event AS t (appliance, id, ts, ts_ms, who, role, origin,
        action, result, detail, prev_hash, hash, event_id)
    SELECT p_appliance, (s.payload->>'id')::bigint, (s.payload->>'ts')::timestamptz,
           (s.payload->>'ts_ms')::bigint, s.payload->>'who', s.payload->>'role',
           s.payload->>'origin', s.payload->>'action', s.payload->>'result',
           COALESCE(s.payload->>'detail', ''), s.payload->>'prev_hash',
           s.payload->>'hash', s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'audit' AND s.event_id > cur
    ORDER BY s.event_id
    ON CONFLICT DO NOTHING;
    -- an id taken already (before, or by an earlier event of this batch):
    -- the same entry delivered again changes nothing; other content under
    -- that id is a conflict, kept whole (the same conflicting content
    -- again adds no second row)
    DECLARE
        nconflict bigint;
    BEGIN
        INSERT INTO ferry.audit_conflict (appliance, id, event_id, received_at, incoming,
            existing_hash, incoming_hash)
        SELECT DISTINCT ON (a.id, s.payload)
               p_appliance, a.id, s.event_id, now(), s.payload, a.hash, s.payload->>'hash'
        FROM pg_temp.ferry_sink_stage s
        JOIN ferry.audit_event a
          ON a.appliance = p_appliance AND a.id = (s.payload->>'id')::bigint
        WHERE s.kind = 'audit' AND s.event_id > cur
          AND (a.ts_ms, a.who, a.role, a.origin, a.action, a.result, a.detail, a.prev_hash,
               a.hash)
              IS DISTINCT FROM
              ((s.payload->>'ts_ms')::bigint, s.payload->>'who', s.payload->>'role',
               s.payload->>'origin', s.payload->>'action', s.payload->>'result',
               COALESCE(s.payload->>'detail', ''), s.payload->>'prev_hash', s.payload->>'hash')
          AND NOT EXISTS (SELECT 1 FROM ferry.audit_conflict c
                          WHERE c.appliance = p_appliance AND c.id = a.id
                            AND c.incoming = s.payload)
        ORDER BY a.id, s.payload, s.event_id;
        GET DIAGNOSTICS nconflict = ROW_COUNT;
        IF nconflict > 0 THEN
            RAISE WARNING 'ferry.sink_apply: % audit event(s) of appliance % reused an id with other content: kept in ferry.audit_conflict',
                nconflict, p_appliance
                USING HINT = 'ferryd''s state store was rewound or replaced; ferry.audit_verify() names the first id.';
        END IF;
    END;

    INSERT INTO ferry.offset_sync_history AS t (appliance, flow, topic, partition,
        upstream, downstream, recorded_at, event_id)
    SELECT p_appliance, s.payload->>'flow', s.payload->>'topic',
           (s.payload->>'partition')::int, (s.payload->>'upstream')::bigint,
           (s.payload->>'downstream')::bigint, (s.payload->>'recorded_at')::timestamptz,
           s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'offset_sync' AND s.event_id > cur
    ORDER BY s.event_id
    ON CONFLICT DO NOTHING;

    INSERT INTO ferry.checkpoint_history AS t (appliance, flow, grp, topic, remote_topic,
        partition, upstream, downstream, emitted_at, event_id)
    SELECT p_appliance, s.payload->>'flow', s.payload->>'grp', s.payload->>'topic',
           s.payload->>'remote_topic', (s.payload->>'partition')::int,
           (s.payload->>'upstream')::bigint, (s.payload->>'downstream')::bigint,
           (s.payload->>'emitted_at')::timestamptz, s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'checkpoint' AND s.event_id > cur
    ORDER BY s.event_id
    ON CONFLICT DO NOTHING;

    -- the newest state of each ledger row wins; an older event never
    -- overwrites a newer one
    INSERT INTO ferry.transfer AS t (appliance, day, flow, topic, partition, records,
        bytes, first_offset, last_offset, first_ts, last_ts, rule, category, held_back,
        updated_at, event_id)
    SELECT DISTINCT ON (s.payload->>'day', s.payload->>'flow', s.payload->>'topic',
                        (s.payload->>'partition')::int)
           p_appliance, (s.payload->>'day')::date, s.payload->>'flow', s.payload->>'topic',
           (s.payload->>'partition')::int, (s.payload->>'records')::bigint,
           (s.payload->>'bytes')::bigint, (s.payload->>'first_offset')::bigint,
           (s.payload->>'last_offset')::bigint, (s.payload->>'first_ts')::timestamptz,
           (s.payload->>'last_ts')::timestamptz, s.payload->>'rule',
           s.payload->>'category', COALESCE((s.payload->>'held_back')::bigint, 0),
           (s.payload->>'updated_at')::timestamptz, s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'transfer' AND s.event_id > cur
    ORDER BY s.payload->>'day', s.payload->>'flow', s.payload->>'topic',
             (s.payload->>'partition')::int, s.event_id DESC
    ON CONFLICT (appliance, day, flow, topic, partition) DO UPDATE SET
        records = excluded.records, bytes = excluded.bytes,
        first_offset = excluded.first_offset, last_offset = excluded.last_offset,
        first_ts = excluded.first_ts, last_ts = excluded.last_ts,
        rule = excluded.rule, category = excluded.category,
        held_back = excluded.held_back, updated_at = excluded.updated_at,
        event_id = excluded.event_id
    WHERE t.event_id < excluded.event_id;

    INSERT INTO ferry.config_revision AS t (appliance, rev, ts, who, comment, text, event_id)
    SELECT p_appliance, (s.payload->>'rev')::int, (s.payload->>'ts')::timestamptz,
           s.payload->>'who', COALESCE(s.payload->>'comment', ''), s.payload->>'text',
           s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'config_revision' AND s.event_id > cur
    ORDER BY s.event_id
    ON CONFLICT DO NOTHING;

    INSERT INTO ferry.cluster_snapshot AS t (appliance, rev, cluster, bootstrap, labels,
        security_protocol, sasl_mechanism, principal, event_id)
    SELECT p_appliance, (s.payload->>'rev')::int, s.payload->>'cluster',
           s.payload->>'bootstrap', COALESCE(s.payload->'labels', '{}'::jsonb),
           s.payload->>'security_protocol', s.payload->>'sasl_mechanism',
           s.payload->>'principal', s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'cluster_snapshot' AND s.event_id > cur
    ORDER BY s.event_id
    ON CONFLICT DO NOTHING;

    INSERT INTO ferry.rule_snapshot AS t (appliance, rev, rule, topics, requires, category,
        basis, event_id)
    SELECT p_appliance, (s.payload->>'rev')::int, s.payload->>'rule',
           s.payload->>'topics', s.payload->>'requires', s.payload->>'category',
           s.payload->>'basis', s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'rule_snapshot' AND s.event_id > cur
    ORDER BY s.event_id
    ON CONFLICT DO NOTHING;

    INSERT INTO ferry.placement_decision AS t (appliance, decided_at, flow, topic, cluster,
        allowed, rule, category, basis, event_id)
    SELECT p_appliance, (s.payload->>'decided_at')::timestamptz, s.payload->>'flow',
           s.payload->>'topic', s.payload->>'cluster', (s.payload->>'allowed')::bool,
           NULLIF(s.payload->>'rule', ''), NULLIF(s.payload->>'category', ''),
           NULLIF(s.payload->>'basis', ''), s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'placement_decision' AND s.event_id > cur
    ORDER BY s.event_id
    ON CONFLICT DO NOTHING;

    INSERT INTO ferry.topic_retention AS t (appliance, cluster, topic, retention_ms,
        observed_at, flow, source_topic, event_id)
    SELECT p_appliance, s.payload->>'cluster', s.payload->>'topic',
           (s.payload->>'retention_ms')::bigint, (s.payload->>'observed_at')::timestamptz,
           s.payload->>'flow', s.payload->>'source_topic', s.event_id
    FROM pg_temp.ferry_sink_stage s
    WHERE s.kind = 'topic_retention' AND s.event_id > cur
    ORDER BY s.event_id
    ON CONFLICT DO NOTHING;

    -- an event of a kind this version does not know is not applied, and
    -- not skipped silently either: the batch fails and ferryd says why
    IF EXISTS (SELECT 1 FROM pg_temp.ferry_sink_stage s
               WHERE s.event_id > cur AND s.kind NOT IN ('audit', 'offset_sync',
                   'checkpoint', 'transfer', 'config_revision', 'cluster_snapshot',
                   'rule_snapshot', 'placement_decision', 'topic_retention')) THEN
        RAISE EXCEPTION 'ferry.sink_apply: an event of an unknown kind'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'update the ferry extension (ALTER EXTENSION ferry UPDATE)';
    END IF;

    SELECT max(s.event_id) INTO top FROM pg_temp.ferry_sink_stage s;
    IF top IS NOT NULL AND top > cur THEN
        UPDATE ferry.sink_cursor SET event_id = top, updated_at = now()
        WHERE appliance = p_appliance;
        cur := top;
    END IF;
    RETURN cur;
END
$$;

REVOKE ALL ON ferry.audit_event, ferry.offset_sync_history, ferry.checkpoint_history,
    ferry.transfer, ferry.config_revision, ferry.cluster_snapshot, ferry.rule_snapshot,
    ferry.placement_decision, ferry.topic_retention, ferry.sink_cursor FROM PUBLIC;
GRANT SELECT ON ferry.audit_event, ferry.offset_sync_history, ferry.checkpoint_history,
    ferry.transfer, ferry.config_revision, ferry.cluster_snapshot, ferry.rule_snapshot,
    ferry.placement_decision, ferry.topic_retention, ferry.sink_cursor TO pg_monitor;
REVOKE ALL ON ferry.audit_conflict FROM PUBLIC;
GRANT SELECT ON ferry.audit_conflict TO pg_monitor;
REVOKE ALL ON FUNCTION ferry.sink_apply(text) FROM PUBLIC;

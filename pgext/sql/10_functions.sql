-- pgext/sql/10_functions.sql: the functions that ask ferryd (ferry_funcs.c),
-- and a view for each that can be called without arguments. Each sends one
-- command of ferryd's control protocol (named in its comment, as the
-- `ferry` shell sends it) and returns that command's columns by name.
-- ferryd sees the server's OS user (or its TLS certificate), whoever
-- calls: the role ferryd gives that (ferry.control.role.auditor) bounds
-- what any of these can do.
--
-- All of them only read: nothing for PUBLIC, EXECUTE and SELECT for
-- pg_monitor. None is SECURITY DEFINER. An argument that is also a column
-- is called flow_name or group_name (PostgreSQL refuses an argument and a
-- column of the same name); arguments are positional in the examples.

-- show flows
CREATE FUNCTION ferry.flows(
    OUT flow text, OUT source text, OUT target text, OUT state text, OUT reason text,
    OUT topics integer, OUT partitions integer, OUT records bigint, OUT bytes bigint,
    OUT lag_records bigint, OUT replication_latency_ms bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_flows'
LANGUAGE C VOLATILE;

-- show lag [FLOW]
CREATE FUNCTION ferry.lag(flow_name text DEFAULT NULL,
    OUT flow text, OUT topic text, OUT partition integer, OUT end_offset bigint,
    OUT "position" bigint, OUT lag_records bigint, OUT lag_seconds double precision)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_lag'
LANGUAGE C VOLATILE;

-- show topics [FLOW]
CREATE FUNCTION ferry.topics(flow_name text DEFAULT NULL,
    OUT flow text, OUT topic text, OUT remote_topic text, OUT partitions integer,
    OUT state text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_topics'
LANGUAGE C VOLATILE;

-- show offset-syncs FLOW TOPIC PARTITION
CREATE FUNCTION ferry.offset_map(flow text, topic text, partition integer,
    OUT upstream bigint, OUT downstream bigint, OUT recorded_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_offset_map'
LANGUAGE C VOLATILE;

-- translate offset FLOW TOPIC PARTITION OFFSET
CREATE FUNCTION ferry.translate_offset(flow text, topic text, partition integer,
    upstream bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ferry_translate_offset'
LANGUAGE C VOLATILE;

-- translate group FLOW GROUP
CREATE FUNCTION ferry.translate_group(flow text, grp text,
    OUT topic text, OUT remote_topic text, OUT partition integer,
    OUT source_offset bigint, OUT target_offset bigint, OUT result text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_translate_group'
LANGUAGE C VOLATILE;

-- show checkpoints [GROUP]
CREATE FUNCTION ferry.checkpoints(group_name text DEFAULT NULL,
    OUT flow text, OUT grp text, OUT topic text, OUT remote_topic text,
    OUT partition integer, OUT upstream bigint, OUT downstream bigint,
    OUT emitted_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_checkpoints'
LANGUAGE C VOLATILE;

-- show heartbeats
CREATE FUNCTION ferry.heartbeats(
    OUT source text, OUT target text, OUT topic text, OUT sent bigint,
    OUT last_sent timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_heartbeats'
LANGUAGE C VOLATILE;

-- show placement
CREATE FUNCTION ferry.placement(
    OUT topic text, OUT cluster text, OUT labels text, OUT rule text, OUT category text,
    OUT basis text, OUT retention_ms bigint, OUT allowed boolean, OUT holds text,
    OUT held_back bigint, OUT flow text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_placement'
LANGUAGE C VOLATILE;

-- placement check TOPIC CLUSTER
CREATE FUNCTION ferry.placement_check(topic text, cluster text,
    OUT rule text, OUT topics text, OUT requires text, OUT category text,
    OUT basis text, OUT met text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_placement_check'
LANGUAGE C VOLATILE;

-- show transfers [--since DATE]
CREATE FUNCTION ferry.transfers(since date DEFAULT NULL,
    OUT day date, OUT flow text, OUT topic text, OUT partition integer,
    OUT records bigint, OUT bytes bigint, OUT first_offset bigint, OUT last_offset bigint,
    OUT first_ts timestamptz, OUT last_ts timestamptz, OUT rule text, OUT category text,
    OUT held_back bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_transfers'
LANGUAGE C VOLATILE;

-- show audit N [--since DATETIME] --after ID, page by page
CREATE FUNCTION ferry.audit_log(since timestamptz DEFAULT NULL,
    OUT id bigint, OUT ts timestamptz, OUT who text, OUT role text, OUT origin text,
    OUT action text, OUT result text, OUT detail text, OUT prev_hash text,
    OUT hash text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ferry_audit_log'
LANGUAGE C VOLATILE;

CREATE VIEW ferry.flows AS SELECT * FROM ferry.flows();
CREATE VIEW ferry.lag AS SELECT * FROM ferry.lag();
CREATE VIEW ferry.topics AS SELECT * FROM ferry.topics();
CREATE VIEW ferry.checkpoints AS SELECT * FROM ferry.checkpoints();
CREATE VIEW ferry.heartbeats AS SELECT * FROM ferry.heartbeats();
CREATE VIEW ferry.placement AS SELECT * FROM ferry.placement();
CREATE VIEW ferry.transfers AS SELECT * FROM ferry.transfers();
CREATE VIEW ferry.audit_log AS SELECT * FROM ferry.audit_log();

REVOKE ALL ON FUNCTION
    ferry.flows(), ferry.lag(text), ferry.topics(text),
    ferry.offset_map(text, text, integer),
    ferry.translate_offset(text, text, integer, bigint),
    ferry.translate_group(text, text), ferry.checkpoints(text), ferry.heartbeats(),
    ferry.placement(), ferry.placement_check(text, text), ferry.transfers(date),
    ferry.audit_log(timestamptz)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    ferry.flows(), ferry.lag(text), ferry.topics(text),
    ferry.offset_map(text, text, integer),
    ferry.translate_offset(text, text, integer, bigint),
    ferry.translate_group(text, text), ferry.checkpoints(text), ferry.heartbeats(),
    ferry.placement(), ferry.placement_check(text, text), ferry.transfers(date),
    ferry.audit_log(timestamptz)
TO pg_monitor;

REVOKE ALL ON ferry.flows, ferry.lag, ferry.topics, ferry.checkpoints, ferry.heartbeats,
    ferry.placement, ferry.transfers, ferry.audit_log FROM PUBLIC;
GRANT SELECT ON ferry.flows, ferry.lag, ferry.topics, ferry.checkpoints, ferry.heartbeats,
    ferry.placement, ferry.transfers, ferry.audit_log TO pg_monitor;

-- 40_reports.sql — compliance reports over the history sink's tables
-- (20_sink.sql): where data went under which rule (residency_report) and
-- who changed what (change_report). Plain SQL over what the sink
-- delivered: they run without ferryd, on history that outlives it, and read
-- only what pg_monitor may read (SECURITY INVOKER).
--
-- The window [from_ts, to_ts) is half-open. The transfer ledger counts per
-- UTC day (the day ferry mirrored the records): a day is in the window when
-- it overlaps it, so choose day boundaries (UTC midnight) for exact sums.

-- `<length in bytes>:<bytes>,` of each value, `-,` for NULL: the encoding of
-- the audit chain (30_audit.sql), with NULL told apart from ''.
CREATE FUNCTION ferry.evidence_encode(VARIADIC f text[])
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT COALESCE(pg_catalog.string_agg(
               CASE WHEN u.v IS NULL THEN '-,'
                    ELSE pg_catalog.length(pg_catalog.convert_to(u.v, 'UTF8')) || ':' || u.v
                         || ',' END, '' ORDER BY u.n), '')
      FROM pg_catalog.unnest(f) WITH ORDINALITY AS u(v, n);
END;

-- A time as the control protocol writes it: 2026-12-03T17:58:01.123Z.
CREATE FUNCTION ferry.iso_utc(t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
END;

-- The configuration revision of APPLIANCE in force at AT (the newest
-- committed at or before it; the first one when AT is older than all).
CREATE FUNCTION ferry.revision_at(appliance text, at timestamptz)
RETURNS int
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT COALESCE(
        (SELECT max(r.rev) FROM ferry.config_revision r
          WHERE r.appliance = revision_at.appliance AND r.ts <= revision_at.at),
        (SELECT min(r.rev) FROM ferry.config_revision r
          WHERE r.appliance = revision_at.appliance));
END;

-- Per appliance x flow x source topic x rule (the rules and data category
-- the ledger recorded: a rule change within the window gives a row each):
-- the source and target cluster with their labels, the records and bytes
-- copied and their first/last source offset and timestamp (offsets are per
-- partition: the lowest first and highest last over the topic's
-- partitions), the records held back by placement (the last measure in the
-- window; the row of a topic a rule keeps from the target has records 0),
-- the verdict from the last placement decision before to_ts, the
-- retention.ms in force on the remote topic at the target (the latest
-- ferry.topic_retention observation before to_ts on the target cluster of
-- the remote topic that is the flow's copy of the source topic, as the
-- newest observation tagged with that flow and source topic names it:
-- the value itself may have been read for another flow writing into the
-- same remote topic (IdentityReplicationPolicy); NULL when ferryd has not
-- read it there by then), the transport security of the target (and the
-- source's protocol), the rule version (the configuration revision in
-- force when the row's ledger entries were last updated) and:
--
--   audit_head_hash: the hash of the appliance's newest audit event before
--     to_ts (ferry.audit_event), the head of the tamper-evident chain;
--   evidence_hash: hex(SHA-256(UTF-8 of ferry.evidence_encode(from_ts,
--     to_ts, every column of the row before evidence_hash, in order))),
--     times as ferry.iso_utc(), jsonb as its text, numbers in decimal,
--     booleans as true/false, arrays as their text. Recomputing it proves
--     the row was not changed after the report; audit_verify() over the
--     chain up to audit_head_hash proves the trail it was taken with.
CREATE FUNCTION ferry.residency_report(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (appliance text, flow text, topic text,
               source_cluster text, source_labels jsonb, source_region text,
               source_jurisdiction text,
               target_cluster text, target_labels jsonb, target_region text,
               target_jurisdiction text,
               category text, rule text, basis text, allowed boolean,
               partitions int, records bigint, bytes bigint,
               first_offset bigint, last_offset bigint,
               first_ts timestamptz, last_ts timestamptz,
               held_back bigint, target_retention_ms bigint,
               source_security_protocol text, target_security_protocol text,
               target_tls boolean, target_sasl_mechanism text, target_principal text,
               rule_version int, audit_head_hash text, evidence_hash text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH t AS (
    SELECT x.*, split_part(x.flow, '->', 1) AS src, split_part(x.flow, '->', 2) AS dst
      FROM ferry.transfer x
     WHERE (x.day::timestamp AT TIME ZONE 'UTC') < $2
       AND ((x.day + 1)::timestamp AT TIME ZONE 'UTC') > $1
),
g AS (
    SELECT t.appliance, t.flow, t.topic, t.src, t.dst, t.rule, t.category,
           count(DISTINCT t.partition) FILTER (WHERE t.partition >= 0)::int AS partitions,
           COALESCE(sum(t.records) FILTER (WHERE t.partition >= 0), 0)::bigint AS records,
           COALESCE(sum(t.bytes) FILTER (WHERE t.partition >= 0), 0)::bigint AS bytes,
           min(t.first_offset) AS first_offset, max(t.last_offset) AS last_offset,
           min(t.first_ts) AS first_ts, max(t.last_ts) AS last_ts,
           COALESCE((array_agg(t.held_back ORDER BY t.day DESC)
                     FILTER (WHERE t.partition = -1))[1], 0) AS held_back,
           least(max(t.updated_at), $2) AS as_of
      FROM t
     GROUP BY t.appliance, t.flow, t.topic, t.src, t.dst, t.rule, t.category
),
r AS (
    SELECT g.*, ferry.revision_at(g.appliance, g.as_of) AS rev,
           (SELECT a.hash FROM ferry.audit_event a
             WHERE a.appliance = g.appliance AND a.ts < $2
             ORDER BY a.id DESC LIMIT 1) AS head
      FROM g
),
o AS (
    SELECT r.appliance, r.flow, r.topic,
           r.src AS source_cluster, sc.labels AS source_labels,
           sc.labels ->> 'region' AS source_region,
           sc.labels ->> 'jurisdiction' AS source_jurisdiction,
           r.dst AS target_cluster, tc.labels AS target_labels,
           tc.labels ->> 'region' AS target_region,
           tc.labels ->> 'jurisdiction' AS target_jurisdiction,
           r.category, r.rule,
           (SELECT string_agg(COALESCE(rs.basis, ''), ', ' ORDER BY w.n)
              FROM regexp_split_to_table(r.rule, ',\s*') WITH ORDINALITY AS w(name, n)
              LEFT JOIN ferry.rule_snapshot rs
                ON rs.appliance = r.appliance AND rs.rev = r.rev AND rs.rule = w.name)
             AS basis,
           (SELECT d.allowed FROM ferry.placement_decision d
             WHERE d.appliance = r.appliance AND d.flow = r.flow AND d.topic = r.topic
               AND d.cluster = r.dst AND d.decided_at < $2
             ORDER BY d.decided_at DESC LIMIT 1) AS allowed,
           r.partitions, r.records, r.bytes, r.first_offset, r.last_offset,
           r.first_ts, r.last_ts, r.held_back,
           (SELECT k.retention_ms FROM ferry.topic_retention k
             WHERE k.appliance = r.appliance AND k.cluster = r.dst AND k.observed_at < $2
               AND k.topic = (SELECT n.topic FROM ferry.topic_retention n
                               WHERE n.appliance = r.appliance AND n.cluster = r.dst
                                 AND n.flow = r.flow AND n.source_topic = r.topic
                                 AND n.observed_at < $2
                               ORDER BY n.observed_at DESC LIMIT 1)
             ORDER BY k.observed_at DESC LIMIT 1) AS target_retention_ms,
           sc.security_protocol AS source_security_protocol,
           tc.security_protocol AS target_security_protocol,
           upper(tc.security_protocol) IN ('SSL', 'SASL_SSL') AS target_tls,
           tc.sasl_mechanism AS target_sasl_mechanism, tc.principal AS target_principal,
           r.rev AS rule_version, r.head AS audit_head_hash
      FROM r
      LEFT JOIN ferry.cluster_snapshot sc
        ON sc.appliance = r.appliance AND sc.rev = r.rev AND sc.cluster = r.src
      LEFT JOIN ferry.cluster_snapshot tc
        ON tc.appliance = r.appliance AND tc.rev = r.rev AND tc.cluster = r.dst
)
SELECT o.*,
       encode(sha256(convert_to(ferry.evidence_encode(
           ferry.iso_utc($1), ferry.iso_utc($2),
           o.appliance, o.flow, o.topic,
           o.source_cluster, o.source_labels::text, o.source_region, o.source_jurisdiction,
           o.target_cluster, o.target_labels::text, o.target_region, o.target_jurisdiction,
           o.category, o.rule, o.basis, o.allowed::text,
           o.partitions::text, o.records::text, o.bytes::text,
           o.first_offset::text, o.last_offset::text,
           ferry.iso_utc(o.first_ts), ferry.iso_utc(o.last_ts),
           o.held_back::text, o.target_retention_ms::text,
           o.source_security_protocol, o.target_security_protocol, o.target_tls::text,
           o.target_sasl_mechanism, o.target_principal,
           o.rule_version::text, o.audit_head_hash), 'UTF8')), 'hex')
  FROM o
 ORDER BY o.appliance, o.flow, o.topic, o.rule NULLS FIRST, o.category NULLS FIRST
$$;

-- The lines of configuration revision REV of APPLIANCE removed (`- `) and
-- added (`+ `) against revision REV - 1 (all added for the first), removed
-- first, each in its revision's order; blank and comment lines left out.
-- NULL when the revision is not here.
CREATE FUNCTION ferry.revision_diff(appliance text, rev int)
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
    WITH cur AS (
        SELECT c.text FROM ferry.config_revision c
         WHERE c.appliance = revision_diff.appliance AND c.rev = revision_diff.rev
    ), old AS (
        SELECT p.text FROM ferry.config_revision p
         WHERE p.appliance = revision_diff.appliance AND p.rev = revision_diff.rev - 1
    ), a AS (
        SELECT l.line, l.n FROM cur, pg_catalog.regexp_split_to_table(cur.text, E'\n')
               WITH ORDINALITY AS l(line, n)
         WHERE l.line !~ '^\s*([#!].*)?$'
    ), b AS (
        SELECT l.line, l.n FROM old, pg_catalog.regexp_split_to_table(old.text, E'\n')
               WITH ORDINALITY AS l(line, n)
         WHERE l.line !~ '^\s*([#!].*)?$'
    ), removed AS (
        SELECT b.line, b.n FROM b WHERE NOT EXISTS (SELECT 1 FROM a WHERE a.line = b.line)
    ), added AS (
        SELECT a.line, a.n FROM a WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.line = a.line)
    )
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cur) THEN NULL ELSE
           COALESCE((SELECT pg_catalog.string_agg(d.line, E'\n' ORDER BY d.k, d.n) FROM (
               SELECT '- ' || removed.line AS line, 0 AS k, removed.n FROM removed
               UNION ALL
               SELECT '+ ' || added.line, 1, added.n FROM added) AS d), '') END;
END;

-- Who changed what, per audit event in [from_ts, to_ts): every command that
-- changes something or tried to (denied and failed ones too), and what
-- ferryd did by itself (role system); reading commands (show, audit verify,
-- placement check, translate, help, configure, exit) are left out.
--   kind: commit (a configuration revision), candidate (an edit of a
--     candidate configuration, in force only once committed), operation
--     (pause, resume, failover, failback, reset-offsets), automatic (ferryd).
--   flows, rules: the flows and placement rules the command names or, for
--     a commit, its diff touches (keys `A->B.*`, `ferry.placement.<rule>.*`,
--     the names listed by `ferry.placement.rules`).
--   rev, comment, diff: the revision a commit made, its comment, and
--     ferry.revision_diff() against the one before.
CREATE FUNCTION ferry.change_report(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (appliance text, id bigint, ts timestamptz, principal text, role text,
               origin text, command text, kind text, flows text[], rules text[],
               rev int, comment text, diff text, result text, detail text, hash text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH e AS (
    SELECT a.*,
           CASE WHEN a.role = 'system' THEN 'automatic'
                WHEN a.action ~ '^commit( |$)' THEN 'commit'
                WHEN a.action ~ '^(set|delete|rollback) ' THEN 'candidate'
                WHEN a.action ~ '^(pause|resume|failover|failback|reset-offsets) ' THEN
                    'operation'
           END AS kind,
           CASE WHEN a.action ~ '^commit( |$)' AND a.result = 'ok'
                THEN substring(a.detail FROM 'revision (\d+) applied')::int END AS rev
      FROM ferry.audit_event a
     WHERE a.ts >= $1 AND a.ts < $2
),
c AS (
    SELECT e.*, ferry.revision_diff(e.appliance, e.rev) AS diff,
           -- the words that name flows and rules: the command's own, or
           -- for a commit its diff's lines
           CASE WHEN e.kind = 'commit' THEN ferry.revision_diff(e.appliance, e.rev)
                ELSE regexp_replace(e.action, '^(set|delete) ', '') END AS subject
      FROM e WHERE e.kind IS NOT NULL
)
SELECT c.appliance, c.id, c.ts, c.who, c.role, c.origin, c.action, c.kind,
       ARRAY(SELECT DISTINCT m[1] FROM regexp_matches(COALESCE(c.subject, ''),
                 '([A-Za-z0-9._-]+->[A-Za-z0-9._-]+)', 'g') AS m ORDER BY 1),
       ARRAY(SELECT DISTINCT x FROM (
                 SELECT m[1] AS x FROM regexp_matches(COALESCE(c.subject, ''),
                     'ferry\.placement\.([A-Za-z0-9_-]+)\.', 'g') AS m
                 UNION
                 SELECT trim(w) FROM regexp_matches(COALESCE(c.subject, ''),
                     'ferry\.placement\.rules\s*(?:[=:]\s*|\s)([^\n]*)', 'g') AS m,
                     regexp_split_to_table(m[1], ',') AS w) AS s
             WHERE x <> '' ORDER BY 1),
       c.rev, r.comment, c.diff, c.result, c.detail, c.hash
  FROM c
  LEFT JOIN ferry.config_revision r ON r.appliance = c.appliance AND r.rev = c.rev
 ORDER BY c.appliance, c.id
$$;

REVOKE ALL ON FUNCTION ferry.evidence_encode(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION ferry.iso_utc(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ferry.revision_at(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ferry.revision_diff(text, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION ferry.residency_report(timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ferry.change_report(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ferry.evidence_encode(text[]) TO pg_monitor;
GRANT EXECUTE ON FUNCTION ferry.iso_utc(timestamptz) TO pg_monitor;
GRANT EXECUTE ON FUNCTION ferry.revision_at(text, timestamptz) TO pg_monitor;
GRANT EXECUTE ON FUNCTION ferry.revision_diff(text, int) TO pg_monitor;
GRANT EXECUTE ON FUNCTION ferry.residency_report(timestamptz, timestamptz) TO pg_monitor;
GRANT EXECUTE ON FUNCTION ferry.change_report(timestamptz, timestamptz) TO pg_monitor;

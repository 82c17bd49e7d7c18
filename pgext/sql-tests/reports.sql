-- reports: ferry.residency_report() and ferry.change_report() over fixture
-- rows in the sink's tables: appliance "lab" with clusters A (EU), B (EU)
-- and C (US); configuration revisions 1 (no rules), 2 (rules eu and
-- us_ok) and 3 (eu tightened); transfers in and around the third quarter
-- of 2026; placement decisions; the retention observed on the remote
-- topics; an audit trail whose chain is hashed as
-- ferryd hashes it (ferry.audit_hash, checked against ferryd's own chain
-- in audit_verify.sql).
CREATE EXTENSION ferry;
SET timezone = 'UTC';

INSERT INTO ferry.config_revision (appliance, rev, ts, who, comment, text, event_id) VALUES
('lab', 1, '2026-07-01 08:00:00Z', 'ferryd', 'loaded from /etc/ferry/mm2.properties',
 E'clusters = A, B, C\nA->B.enabled = true\nA->C.enabled = true\n', 1),
('lab', 2, '2026-08-15 10:00:00Z', 'alice (uid 1000)', 'placement rules for KYC data',
 E'clusters = A, B, C\nA->B.enabled = true\nA->C.enabled = true\n'
 'ferry.placement.rules = eu, us_ok\nferry.placement.eu.topics = kyc\\..*\n'
 'ferry.placement.eu.require = jurisdiction=EU\nferry.placement.eu.category = personal\n'
 'ferry.placement.eu.basis = GDPR Art. 44\nferry.placement.us_ok.topics = crm\\..*\n'
 'ferry.placement.us_ok.require = region=us-east\n'
 'ferry.placement.us_ok.category = personal\n'
 'ferry.placement.us_ok.basis = SCCs 2021/914\n', 2),
('lab', 3, '2026-11-02 09:30:00Z', 'cert:CN=ops', 'eu: EU and eu-west only',
 E'clusters = A, B, C\nA->B.enabled = true\nA->C.enabled = true\n'
 'ferry.placement.rules = eu, us_ok\nferry.placement.eu.topics = kyc\\..*\n'
 'ferry.placement.eu.require = jurisdiction=EU, region=eu-west\n'
 'ferry.placement.eu.category = personal\n'
 'ferry.placement.eu.basis = GDPR Art. 44\nferry.placement.us_ok.topics = crm\\..*\n'
 'ferry.placement.us_ok.require = region=us-east\n'
 'ferry.placement.us_ok.category = personal\n'
 'ferry.placement.us_ok.basis = SCCs 2021/914\n', 3);

INSERT INTO ferry.cluster_snapshot (appliance, rev, cluster, bootstrap, labels,
                                    security_protocol, sasl_mechanism, principal, event_id)
SELECT 'lab', r, c.cluster, c.bootstrap, c.labels::jsonb, c.proto, c.mech, c.principal, 10 + r
  FROM generate_series(1, 3) AS r,
       (VALUES ('A', 'a1:9093', '{"region":"eu-west","jurisdiction":"EU"}', 'SASL_SSL',
                'SCRAM-SHA-512', 'ferry-a'),
               ('B', 'b1:9093', '{"region":"eu-central","jurisdiction":"EU"}', 'SSL', NULL,
                'CN=ferry,O=Example'),
               ('C', 'c1:9092', '{"region":"us-east","jurisdiction":"US"}', 'PLAINTEXT',
                NULL, NULL)) AS c(cluster, bootstrap, labels, proto, mech, principal);

INSERT INTO ferry.rule_snapshot (appliance, rev, rule, topics, requires, category, basis,
                                 event_id) VALUES
('lab', 2, 'eu', 'kyc\..*', 'jurisdiction=EU', 'personal', 'GDPR Art. 44', 20),
('lab', 2, 'us_ok', 'crm\..*', 'region=us-east', 'personal', 'SCCs 2021/914', 21),
('lab', 3, 'eu', 'kyc\..*', 'jurisdiction=EU, region=eu-west', 'personal', 'GDPR Art. 44',
 30),
('lab', 3, 'us_ok', 'crm\..*', 'region=us-east', 'personal', 'SCCs 2021/914', 31);

INSERT INTO ferry.transfer (appliance, day, flow, topic, partition, records, bytes,
                            first_offset, last_offset, first_ts, last_ts, rule, category,
                            held_back, updated_at, event_id) VALUES
-- before any rule: a copy of KYC data to C (reported, whatever came later)
('lab', '2026-07-10', 'A->C', 'kyc.customers', 0, 40, 4000, 0, 39,
 '2026-07-10 09:00:00Z', '2026-07-10 09:05:00Z', NULL, NULL, 0, '2026-07-10 09:06:00Z', 100),
('lab', '2026-08-20', 'A->B', 'kyc.customers', 0, 100, 10000, 40, 139,
 '2026-08-20 10:00:00Z', '2026-08-20 18:00:00Z', 'eu', 'personal', 0,
 '2026-08-20 18:01:00Z', 101),
('lab', '2026-08-20', 'A->B', 'kyc.customers', 1, 50, 5000, 0, 49,
 '2026-08-20 10:00:00Z', '2026-08-20 17:00:00Z', 'eu', 'personal', 0,
 '2026-08-20 18:01:00Z', 102),
('lab', '2026-09-30', 'A->B', 'kyc.customers', 0, 10, 1000, 140, 149,
 '2026-09-30 23:00:00Z', '2026-09-30 23:59:59.999Z', 'eu', 'personal', 0,
 '2026-10-01 00:00:01Z', 103),
-- the next quarter
('lab', '2026-10-01', 'A->B', 'kyc.customers', 0, 5, 500, 150, 154,
 '2026-10-01 00:00:00Z', '2026-10-01 00:10:00Z', 'eu', 'personal', 0,
 '2026-10-01 00:11:00Z', 104),
-- held back from C by rule eu: the topic as a whole, partition -1
('lab', '2026-09-10', 'A->C', 'kyc.customers', -1, 0, 0, NULL, NULL, NULL, NULL, 'eu',
 'personal', 120, '2026-09-10 12:00:00Z', 105),
('lab', '2026-09-11', 'A->C', 'kyc.customers', -1, 0, 0, NULL, NULL, NULL, NULL, 'eu',
 'personal', 150, '2026-09-11 12:00:00Z', 106),
-- personal data to the US under standard contractual clauses
('lab', '2026-09-01', 'A->C', 'crm.contacts', 0, 7, 700, 0, 6, '2026-09-01 08:00:00Z',
 '2026-09-01 08:30:00Z', 'us_ok', 'personal', 0, '2026-09-01 08:31:00Z', 107),
-- no rule names it
('lab', '2026-09-01', 'A->C', 'orders', 0, 1000, 120000, 5000, 5999,
 '2026-09-01 00:00:00Z', '2026-09-01 23:59:00Z', NULL, NULL, 0, '2026-09-02 00:00:00Z', 108);

INSERT INTO ferry.placement_decision (appliance, decided_at, flow, topic, cluster, allowed,
                                      rule, category, basis, event_id) VALUES
('lab', '2026-07-10 09:00:00Z', 'A->C', 'kyc.customers', 'C', true, NULL, NULL, NULL, 200),
('lab', '2026-08-15 10:00:01Z', 'A->C', 'kyc.customers', 'C', false, 'eu', 'personal',
 'GDPR Art. 44', 201),
('lab', '2026-08-15 10:00:01Z', 'A->B', 'kyc.customers', 'B', true, 'eu', 'personal',
 'GDPR Art. 44', 202),
('lab', '2026-08-15 10:00:01Z', 'A->C', 'crm.contacts', 'C', true, 'us_ok', 'personal',
 'SCCs 2021/914', 203),
-- after the quarter: not what was in force then
('lab', '2026-11-02 09:30:01Z', 'A->B', 'kyc.customers', 'B', false, 'eu', 'personal',
 'GDPR Art. 44', 204);

-- the retention.ms ferryd read on the remote topics at their targets (a
-- row per new or changed value, with the flow and source topic whose copy
-- it is); the report takes the latest before the window's end (orders'
-- copy on C was never read: NULL)
INSERT INTO ferry.topic_retention (appliance, cluster, topic, retention_ms, observed_at,
                                   flow, source_topic, event_id) VALUES
('lab', 'C', 'A.kyc.customers', 2592000000, '2026-07-10 09:00:05Z', 'A->C', 'kyc.customers',
 400),
('lab', 'B', 'A.kyc.customers', 86400000, '2026-08-15 10:00:05Z', 'A->B', 'kyc.customers', 401),
-- read for another flow into the same remote topic: still the value in force
('lab', 'B', 'A.kyc.customers', 604800000, '2026-08-16 10:00:00Z', 'D->B', 'kyc.customers',
 402),
('lab', 'C', 'A.crm.contacts', 259200000, '2026-08-15 10:00:05Z', 'A->C', 'crm.contacts', 403),
-- after the quarter: not what was in force then
('lab', 'B', 'A.kyc.customers', 3600000, '2026-11-02 09:30:05Z', 'A->B', 'kyc.customers',
 404),
-- another appliance's topic of the same name: not this one's
('other', 'B', 'A.kyc.customers', 1, '2026-08-20 00:00:00Z', 'A->B', 'kyc.customers', 405);

-- the audit trail, chained as ferryd chains it
CREATE TEMP TABLE ev (id bigint, ts timestamptz, who text, role text, origin text,
                      action text, result text, detail text);
INSERT INTO ev VALUES
(1, '2026-07-01 08:00:00Z', 'ferryd', 'system', 'ferryd', 'started with revision 1', 'ok',
 ''),
(2, '2026-08-15 09:58:00Z', 'alice (uid 1000)', 'admin', 'unix', 'configure', 'ok',
 'candidate copied from revision 1'),
(3, '2026-08-15 09:58:10Z', 'alice (uid 1000)', 'admin', 'unix',
 'set ferry.placement.rules eu, us_ok', 'ok', ''),
(4, '2026-08-15 09:59:00Z', 'alice (uid 1000)', 'admin', 'unix',
 'set ferry.placement.eu.require jurisdiction=EU', 'ok', ''),
(5, '2026-08-15 10:00:00Z', 'alice (uid 1000)', 'admin', 'unix',
 'commit placement rules for KYC data', 'ok',
 'revision 2 applied; started: none; restarted: A->B, A->C; stopped: none; unchanged: none'),
(6, '2026-08-20 11:00:00Z', 'bob (uid 1001)', 'auditor', 'unix', 'show placement', 'ok', ''),
(7, '2026-08-21 11:00:00Z', 'bob (uid 1001)', 'auditor', 'unix', 'pause flow A->C',
 'denied', 'role auditor may not run pause flow (operator needed)'),
(8, '2026-09-05 07:00:00Z', 'carol (uid 1002)', 'operator', 'unix', 'pause flow A->C', 'ok',
 ''),
(9, '2026-09-05 07:30:00Z', 'carol (uid 1002)', 'operator', 'unix', 'resume flow A->C',
 'ok', ''),
(10, '2026-09-06 03:00:00Z', 'ferryd', 'system', 'ferryd',
 'A->C: topic kyc.customers held back by placement rule eu', 'ok', ''),
(11, '2026-11-02 09:29:00Z', 'cert:CN=ops', 'admin', 'tls',
 'set ferry.placement.eu.require jurisdiction=EU, region=eu-west', 'ok', ''),
(12, '2026-11-02 09:30:00Z', 'cert:CN=ops', 'admin', 'tls', 'commit eu: EU and eu-west only',
 'ok', 'revision 3 applied; started: none; restarted: A->B; stopped: none; unchanged: A->C'),
(13, '2026-11-02 09:31:00Z', 'cert:CN=ops', 'admin', 'tls', 'audit verify', 'ok', '');
DO $$
DECLARE
    e record;
    prev text := repeat('0', 64);
    h text;
BEGIN
    FOR e IN SELECT * FROM ev ORDER BY id LOOP
        h := ferry.audit_hash(prev, e.id, (extract(epoch FROM e.ts) * 1000)::bigint, e.who,
                              e.role, e.origin, e.action, e.result, e.detail);
        INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action,
                                       result, detail, prev_hash, hash, event_id)
        VALUES ('lab', e.id, e.ts, (extract(epoch FROM e.ts) * 1000)::bigint, e.who, e.role,
                e.origin, e.action, e.result, e.detail, prev, h, 300 + e.id);
        prev := h;
    END LOOP;
END
$$;
SELECT * FROM ferry.audit_verify('lab');

-- the third quarter of 2026, where each copy went
SELECT flow, topic, target_cluster AS target, target_jurisdiction AS jur, category, rule,
       basis, allowed, partitions, records, bytes, first_offset, last_offset, held_back,
       target_retention_ms AS retention_ms, rule_version AS rev
  FROM ferry.residency_report('2026-07-01', '2026-10-01');
SELECT flow, topic, first_ts, last_ts, source_region, target_region,
       source_security_protocol AS src_proto, target_security_protocol AS dst_proto,
       target_tls AS tls, target_sasl_mechanism AS mech, target_principal AS principal
  FROM ferry.residency_report('2026-07-01', '2026-10-01');

-- "every copy of personal data outside the EU last quarter" (docs/auditors-guide.md)
SELECT flow, topic, target_cluster, target_jurisdiction, rule, basis, records, first_ts,
       last_ts
  FROM ferry.residency_report('2026-07-01', '2026-10-01')
 WHERE records > 0
   AND (category = 'personal' OR topic ~ '^kyc\.')
   AND target_jurisdiction IS DISTINCT FROM 'EU'
 ORDER BY first_ts;

-- the evidence: the chain head as of the end, and a hash per row that a
-- changed row or a longer window changes
SELECT DISTINCT audit_head_hash = (SELECT hash FROM ferry.audit_event
                                    WHERE appliance = 'lab' AND id = 10) AS head_is_id_10
  FROM ferry.residency_report('2026-07-01', '2026-10-01');
SELECT count(DISTINCT evidence_hash) AS distinct_evidence, count(*) AS rows,
       bool_and(evidence_hash ~ '^[0-9a-f]{64}$') AS hex
  FROM ferry.residency_report('2026-07-01', '2026-10-01');
CREATE TEMP TABLE before AS
SELECT flow, topic, rule, evidence_hash FROM ferry.residency_report('2026-07-01', '2026-10-01');
-- the same again: the same hashes
SELECT count(*) AS unchanged
  FROM before b JOIN ferry.residency_report('2026-07-01', '2026-10-01') r
    ON r.flow = b.flow AND r.topic = b.topic AND r.rule IS NOT DISTINCT FROM b.rule
   AND r.evidence_hash = b.evidence_hash;
-- one ledger row edited: only its report row's hash changes
UPDATE ferry.transfer SET records = 8 WHERE topic = 'crm.contacts';
SELECT b.flow, b.topic, b.evidence_hash = r.evidence_hash AS same
  FROM before b JOIN ferry.residency_report('2026-07-01', '2026-10-01') r
    ON r.flow = b.flow AND r.topic = b.topic AND r.rule IS NOT DISTINCT FROM b.rule
 ORDER BY 1, 2, 3;
UPDATE ferry.transfer SET records = 7 WHERE topic = 'crm.contacts';
-- the evidence hash is SHA-256 over the encoded window and row (as
-- documented): recomputed here from the row's columns
SELECT r.evidence_hash = encode(sha256(convert_to(ferry.evidence_encode(
           '2026-07-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z',
           r.appliance, r.flow, r.topic, r.source_cluster, r.source_labels::text,
           r.source_region, r.source_jurisdiction, r.target_cluster, r.target_labels::text,
           r.target_region, r.target_jurisdiction, r.category, r.rule, r.basis,
           r.allowed::text, r.partitions::text, r.records::text, r.bytes::text,
           r.first_offset::text, r.last_offset::text, ferry.iso_utc(r.first_ts),
           ferry.iso_utc(r.last_ts), r.held_back::text, r.target_retention_ms::text,
           r.source_security_protocol, r.target_security_protocol, r.target_tls::text,
           r.target_sasl_mechanism, r.target_principal, r.rule_version::text,
           r.audit_head_hash), 'UTF8')), 'hex') AS recomputed
  FROM ferry.residency_report('2026-07-01', '2026-10-01') r
 ORDER BY r.flow, r.topic, r.rule;
SELECT ferry.evidence_encode('a', NULL, '', 'é') AS encoded;

-- the fourth quarter: October's row, under revision 2 (its ledger row was
-- last updated before revision 3's commit), with the verdict as of the end
-- of the window, and the retention read on B in November
SELECT flow, topic, records, rule_version AS rev, allowed,
       target_retention_ms AS retention_ms
  FROM ferry.residency_report('2026-10-01', '2027-01-01');
-- an empty window
SELECT count(*) FROM ferry.residency_report('2025-01-01', '2025-02-01');

-- who changed what in 2026
SELECT id, ts, principal, role, command, kind, flows, rules, rev, comment, result
  FROM ferry.change_report('2026-01-01', '2027-01-01');
SELECT id, diff FROM ferry.change_report('2026-01-01', '2027-01-01') WHERE kind = 'commit';
-- "who changed placement rules this year" (docs/auditors-guide.md)
SELECT ts, principal, role, origin, rules, comment, diff
  FROM ferry.change_report('2026-01-01', '2027-01-01')
 WHERE kind = 'commit' AND cardinality(rules) > 0;
SELECT ferry.revision_diff('lab', 1) AS first_revision_diff;
SELECT ferry.revision_diff('lab', 9) IS NULL AS no_such_revision;
-- the window is half-open
SELECT count(*) FROM ferry.change_report('2026-09-05 07:00:00Z', '2026-09-05 07:30:00Z');

-- reading is pg_monitor's; nothing here is SECURITY DEFINER
CREATE ROLE regress_ferry_rep_nogrant;
CREATE ROLE regress_ferry_rep_monitor IN ROLE pg_monitor;
SET ROLE regress_ferry_rep_monitor;
SELECT count(*) FROM ferry.residency_report('2026-07-01', '2026-10-01');
SELECT count(*) FROM ferry.change_report('2026-01-01', '2027-01-01');
RESET ROLE;
SET ROLE regress_ferry_rep_nogrant;
SELECT count(*) FROM ferry.residency_report('2026-07-01', '2026-10-01');
RESET ROLE;
SELECT p.oid::regprocedure AS report_function, p.prosecdef AS security_definer,
       has_function_privilege('regress_ferry_rep_nogrant', p.oid, 'EXECUTE') AS public,
       has_function_privilege('regress_ferry_rep_monitor', p.oid, 'EXECUTE') AS monitor
  FROM pg_proc p
 WHERE p.pronamespace = 'ferry'::regnamespace
   AND p.proname IN ('residency_report', 'change_report', 'revision_diff', 'revision_at',
                     'evidence_encode', 'iso_utc')
 ORDER BY 1::text;

DROP ROLE regress_ferry_rep_nogrant;
DROP ROLE regress_ferry_rep_monitor;
DROP EXTENSION ferry;

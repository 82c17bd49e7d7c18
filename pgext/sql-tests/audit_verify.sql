-- audit_verify: ferry.audit_verify() over ferry.audit_event finds a gap,
-- an edited entry and one edited and rehashed, naming the id, with the
-- words of `ferry audit verify`; a chain written by ferryd itself (below,
-- copied from a state store: ferryd's C code hashed it) verifies in SQL.
CREATE EXTENSION ferry;

-- the encoding's fixed point (regress/unit/test_auditchain.c, Python's hashlib)
SELECT ferry.audit_hash(repeat('0', 64), 1, 1764783481123, 'alice (uid 1000)', 'admin',
                        'unix', 'set ferry.x = é', 'ok', '') AS hash;

-- ten entries written by ferryd (details span lines)
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 1, 'epoch'::timestamptz + 1796320625444 * interval '1 ms', 1796320625444, 'root (uid 0)', 'admin', 'unix', 'show version', 'ok', '', '0000000000000000000000000000000000000000000000000000000000000000', 'cd52989de005cdf00eb068d2f8cf28aa75bb41d7eac731901d6a3d6c9c4e9e67', 1);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 2, 'epoch'::timestamptz + 1796320625457 * interval '1 ms', 1796320625457, 'root (uid 0)', 'admin', 'unix', 'show flows', 'ok', '', 'cd52989de005cdf00eb068d2f8cf28aa75bb41d7eac731901d6a3d6c9c4e9e67', '07149b2047e51c249fce437f64992d5414abbd27bcb1036e58607d9e73efbd34', 2);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 3, 'epoch'::timestamptz + 1796320625465 * interval '1 ms', 1796320625465, 'root (uid 0)', 'admin', 'unix', 'pause flow A->B', 'error', 'no flow A->B in the running configuration', '07149b2047e51c249fce437f64992d5414abbd27bcb1036e58607d9e73efbd34', 'd1da7162004a02e41d0ea9f5f1de1700b320477e0eb501cb23162d4008118c5e', 3);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 4, 'epoch'::timestamptz + 1796320625473 * interval '1 ms', 1796320625473, 'root (uid 0)', 'admin', 'unix', 'configure', 'ok', 'candidate copied from revision 1', 'd1da7162004a02e41d0ea9f5f1de1700b320477e0eb501cb23162d4008118c5e', 'af4407214f664987b0255b88eb4dd622324b043ff6c0d4f684ea193ab7584478', 4);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 5, 'epoch'::timestamptz + 1796320625474 * interval '1 ms', 1796320625474, 'root (uid 0)', 'admin', 'unix', 'set ferry.placement.rules eu', 'ok', '', 'af4407214f664987b0255b88eb4dd622324b043ff6c0d4f684ea193ab7584478', '5d3dc683cc31bef2b042bc9e4c0e63891a1fe03344876aab6de2972aecd27d95', 5);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 6, 'epoch'::timestamptz + 1796320625474 * interval '1 ms', 1796320625474, 'root (uid 0)', 'admin', 'unix', 'set ferry.placement.eu.topics kyc..*', 'ok', '', '5d3dc683cc31bef2b042bc9e4c0e63891a1fe03344876aab6de2972aecd27d95', 'be84c8d7e67320aa54ab1de5c1b207049991bcc9355516e48346e225414e1c23', 6);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 7, 'epoch'::timestamptz + 1796320625474 * interval '1 ms', 1796320625474, 'root (uid 0)', 'admin', 'unix', 'set ferry.placement.eu.require jurisdiction=EU', 'ok', '', 'be84c8d7e67320aa54ab1de5c1b207049991bcc9355516e48346e225414e1c23', '516db539118a7f80a8f9be0fdccab695a508016916968d99453d9e36fc2e6ba8', 7);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 8, 'epoch'::timestamptz + 1796320625474 * interval '1 ms', 1796320625474, 'root (uid 0)', 'admin', 'unix', 'set ferry.placement.eu.basis GDPR Art. 44: stays in the EU', 'ok', '', '516db539118a7f80a8f9be0fdccab695a508016916968d99453d9e36fc2e6ba8', '99af51b1987246942a28d0561dc90fd84124980d46c4f1e39b214dbf0d825c62', 8);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 9, 'epoch'::timestamptz + 1796320625474 * interval '1 ms', 1796320625474, 'root (uid 0)', 'admin', 'unix', 'commit EU rule for kyc', 'ok', 'revision 2 applied; started: none; restarted: none; stopped: none; unchanged: none
warning: candidate:8: ferry.metrics.port: unknown setting, ignored
warning: candidate: no flow is enabled (set e.g. `A->B.enabled = true`); nothing to mirror', '99af51b1987246942a28d0561dc90fd84124980d46c4f1e39b214dbf0d825c62', '265d5536bc15799d5d0e0c8903f4453f7970288ca58c6af3fd3095edf19d6d3d', 9);
INSERT INTO ferry.audit_event (appliance, id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash, event_id) VALUES ('lab', 10, 'epoch'::timestamptz + 1796320625480 * interval '1 ms', 1796320625480, 'root (uid 0)', 'admin', 'unix', 'show audit 20', 'ok', '', '265d5536bc15799d5d0e0c8903f4453f7970288ca58c6af3fd3095edf19d6d3d', 'f8208be7824f59e1f8dc9c7e81cb6520fb0f529432fdd185edd6a2fa43e15e80', 10);

SELECT * FROM ferry.audit_verify();
SELECT * FROM ferry.audit_verify('lab');
-- an appliance with nothing here
SELECT * FROM ferry.audit_verify('nowhere');

-- the same chain under a second appliance: each is walked on its own
INSERT INTO ferry.audit_event
SELECT 'lab2', id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash,
       event_id
  FROM ferry.audit_event WHERE appliance = 'lab';

-- an edited entry
UPDATE ferry.audit_event SET action = 'show config' WHERE appliance = 'lab' AND id = 2;
SELECT * FROM ferry.audit_verify();
UPDATE ferry.audit_event SET action = 'show flows' WHERE appliance = 'lab' AND id = 2;

-- ts moved (it is a copy of the hashed ts_ms)
UPDATE ferry.audit_event SET ts = ts - interval '1 day' WHERE appliance = 'lab' AND id = 4;
SELECT * FROM ferry.audit_verify('lab');
UPDATE ferry.audit_event SET ts = ts + interval '1 day' WHERE appliance = 'lab' AND id = 4;

-- edited and rehashed (the hash is no secret): the next entry does not follow
UPDATE ferry.audit_event
   SET who = 'mallory',
       hash = ferry.audit_hash(prev_hash, id, ts_ms, 'mallory', role, origin, action, result,
                               detail)
 WHERE appliance = 'lab' AND id = 9;
SELECT * FROM ferry.audit_verify('lab');

-- the whole tail rehashed from there: only a copy kept elsewhere tells
DO $$
DECLARE
    e record;
    prev text;
BEGIN
    FOR e IN SELECT * FROM ferry.audit_event WHERE appliance = 'lab' AND id >= 9 ORDER BY id
    LOOP
        IF prev IS NOT NULL THEN
            UPDATE ferry.audit_event
               SET prev_hash = prev,
                   hash = ferry.audit_hash(prev, id, ts_ms, who, role, origin, action, result,
                                           detail)
             WHERE appliance = 'lab' AND id = e.id;
        END IF;
        SELECT hash INTO prev FROM ferry.audit_event WHERE appliance = 'lab' AND id = e.id;
    END LOOP;
END
$$;
SELECT * FROM ferry.audit_verify('lab');
SELECT a.id, a.hash = b.hash AS same_as_copy
  FROM ferry.audit_event a JOIN ferry.audit_event b USING (id)
 WHERE a.appliance = 'lab' AND b.appliance = 'lab2' AND a.id >= 8 ORDER BY a.id;

-- deleted entries: one, then several, then the first
DELETE FROM ferry.audit_event WHERE appliance = 'lab2' AND id = 5;
SELECT * FROM ferry.audit_verify('lab2');
DELETE FROM ferry.audit_event WHERE appliance = 'lab2' AND id IN (6, 7);
SELECT * FROM ferry.audit_verify('lab2');
DELETE FROM ferry.audit_event WHERE appliance = 'lab2' AND id < 5;
SELECT * FROM ferry.audit_verify('lab2');

-- a lost hash, and a first entry that does not start from the genesis hash
DELETE FROM ferry.audit_event WHERE appliance = 'lab2';
INSERT INTO ferry.audit_event
SELECT 'lab2', id, ts, ts_ms, who, role, origin, action, result, detail, prev_hash, hash,
       event_id
  FROM ferry.audit_event WHERE appliance = 'lab' AND id <= 3;
UPDATE ferry.audit_event SET hash = NULL WHERE appliance = 'lab2' AND id = 3;
SELECT * FROM ferry.audit_verify('lab2');
UPDATE ferry.audit_event
   SET prev_hash = repeat('f', 64),
       hash = ferry.audit_hash(repeat('f', 64), id, ts_ms, who, role, origin, action, result,
                               detail)
 WHERE appliance = 'lab2' AND id = 1;
SELECT * FROM ferry.audit_verify('lab2');

-- ids used again (ferryd's state store rewound or replaced), through
-- ferry.sink_apply() as ferryd's sink calls it: the same entry delivered
-- again changes nothing; other content under a taken id is kept in
-- ferry.audit_conflict, never dropped, and the chain is broken there
CREATE TEMP TABLE ferry_sink_stage (event_id bigint NOT NULL, kind text NOT NULL,
    payload jsonb NOT NULL) ON COMMIT DELETE ROWS;
CREATE TEMP VIEW lab_payload AS
SELECT id, to_jsonb(a) - 'appliance' - 'event_id' AS payload
  FROM ferry.audit_event a WHERE appliance = 'lab' AND id <= 3;
BEGIN;
INSERT INTO ferry_sink_stage SELECT 100 + id, 'audit', payload FROM lab_payload;
SELECT ferry.sink_apply('lab3');
COMMIT;
-- id 2 again, the same entry (a backfill): no conflict
BEGIN;
INSERT INTO ferry_sink_stage SELECT 200, 'audit', payload FROM lab_payload WHERE id = 2;
SELECT ferry.sink_apply('lab3');
COMMIT;
SELECT count(*) AS conflicts FROM ferry.audit_conflict;
SELECT * FROM ferry.audit_verify('lab3');
-- a new store under the same name: its id 3 is another entry (twice in
-- the batch: kept once); its id 4 comes twice with other content in one
-- batch, the first is kept
BEGIN;
INSERT INTO ferry_sink_stage
SELECT 300, 'audit', payload || jsonb_build_object('who', 'new store',
           'hash', ferry.audit_hash(payload->>'prev_hash', 3, (payload->>'ts_ms')::bigint,
                                    'new store', payload->>'role', payload->>'origin',
                                    payload->>'action', payload->>'result',
                                    payload->>'detail'))
  FROM lab_payload WHERE id = 3;
INSERT INTO ferry_sink_stage SELECT 301, 'audit', payload FROM ferry_sink_stage WHERE event_id = 300;
INSERT INTO ferry_sink_stage
SELECT 302 + n, 'audit', jsonb_build_object('id', 4, 'ts', 'epoch'::timestamptz + 1796320625500 * interval '1 ms',
           'ts_ms', 1796320625500, 'who', w, 'role', 'admin', 'origin', 'unix',
           'action', 'show flows', 'result', 'ok', 'detail', '', 'prev_hash', a.hash,
           'hash', ferry.audit_hash(a.hash, 4, 1796320625500, w, 'admin', 'unix', 'show flows',
                                    'ok', ''))
  FROM ferry.audit_event a,
       (VALUES (0, 'root (uid 0)'), (1, 'other (uid 1)')) AS v(n, w)
 WHERE a.appliance = 'lab3' AND a.id = 3;
SELECT ferry.sink_apply('lab3');
COMMIT;
SELECT c.appliance, c.id, c.event_id, c.incoming->>'who' AS incoming_who,
       c.existing_hash = a.hash AS existing_hash_kept, c.incoming_hash = c.incoming->>'hash'
           AS incoming_hash_ok, c.received_at IS NOT NULL AS received
  FROM ferry.audit_conflict c JOIN ferry.audit_event a USING (appliance, id)
 ORDER BY c.event_id;
SELECT id, who, event_id FROM ferry.audit_event WHERE appliance = 'lab3' ORDER BY id;
SELECT appliance, event_id FROM ferry.sink_cursor;
SELECT * FROM ferry.audit_verify('lab3');
-- the same conflicting entry delivered again: no second row
BEGIN;
INSERT INTO ferry_sink_stage SELECT 400, 'audit', incoming FROM ferry.audit_conflict WHERE event_id = 300;
SELECT ferry.sink_apply('lab3');
COMMIT;
SELECT count(*) AS conflicts FROM ferry.audit_conflict;
-- a chain problem before the first conflict is named first
UPDATE ferry.audit_event SET action = 'x' WHERE appliance = 'lab3' AND id = 2;
SELECT * FROM ferry.audit_verify('lab3');
DROP VIEW lab_payload;
DROP TABLE ferry_sink_stage;

-- reading is pg_monitor's: a member verifies, a role without grants cannot
CREATE ROLE regress_ferry_audit_nogrant;
CREATE ROLE regress_ferry_audit_monitor IN ROLE pg_monitor;
SET ROLE regress_ferry_audit_monitor;
SELECT appliance, result FROM ferry.audit_verify();
UPDATE ferry.audit_event SET who = 'x' WHERE appliance = 'lab2';
SELECT count(*) FROM ferry.audit_conflict;
DELETE FROM ferry.audit_conflict;
RESET ROLE;
SET ROLE regress_ferry_audit_nogrant;
SELECT * FROM ferry.audit_verify();
SELECT count(*) FROM ferry.audit_conflict;
RESET ROLE;
SELECT c.relname AS audit_table,
       has_table_privilege('regress_ferry_audit_nogrant', c.oid, 'SELECT') AS public,
       has_table_privilege('regress_ferry_audit_monitor', c.oid, 'SELECT') AS monitor,
       has_table_privilege('regress_ferry_audit_monitor', c.oid, 'INSERT, UPDATE, DELETE')
           AS monitor_writes
  FROM pg_class c
 WHERE c.relnamespace = 'ferry'::regnamespace AND c.relname IN ('audit_event', 'audit_conflict')
 ORDER BY 1;
SELECT p.oid::regprocedure AS audit_function, p.prosecdef AS security_definer,
       has_function_privilege('regress_ferry_audit_nogrant', p.oid, 'EXECUTE') AS public,
       has_function_privilege('regress_ferry_audit_monitor', p.oid, 'EXECUTE') AS monitor
  FROM pg_proc p
 WHERE p.pronamespace = 'ferry'::regnamespace AND p.proname LIKE 'audit\_%'
   AND p.proname NOT IN ('audit_log')
 ORDER BY 1::text;

DROP ROLE regress_ferry_audit_nogrant;
DROP ROLE regress_ferry_audit_monitor;
DROP EXTENSION ferry;

-- ext_privileges: nothing in schema ferry is PUBLIC's; reading is
-- pg_monitor's; a pg_monitor member reads and cannot change anything; a
-- role without grants is refused; the settings are superuser-only under a
-- reserved prefix; the extension creates no role; SECURITY DEFINER only
-- with a safe search_path.
CREATE EXTENSION ferry;
\set VERBOSITY default

-- the settings (ferry.control_socket's value is the test's path)
SELECT name, context, vartype, unit,
       CASE WHEN name = 'ferry.control_socket' THEN '(path)' ELSE setting END AS setting,
       boot_val
  FROM pg_settings WHERE name LIKE 'ferry.%' ORDER BY name;
SET ferry.no_such_setting = 1;

-- no role made by the extension
SELECT count(*) AS ferry_roles FROM pg_roles WHERE rolname ~ 'ferry';

CREATE ROLE regress_ferry_nogrant LOGIN;
CREATE ROLE regress_ferry_monitor LOGIN IN ROLE pg_monitor;

-- nothing a role without grants may use
SELECT has_schema_privilege('regress_ferry_nogrant', 'ferry', 'USAGE') AS schema_usage;
SELECT p.oid::regprocedure AS executable_by_anyone
  FROM pg_proc p WHERE p.pronamespace = 'ferry'::regnamespace
   AND has_function_privilege('regress_ferry_nogrant', p.oid, 'EXECUTE');
SELECT c.oid::regclass AS usable_by_anyone
  FROM pg_class c WHERE c.relnamespace = 'ferry'::regnamespace
   AND has_table_privilege('regress_ferry_nogrant', c.oid,
                           'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER');

-- what pg_monitor may read, and that it may change none of it
SELECT p.oid::regprocedure AS function,
       has_function_privilege('regress_ferry_monitor', p.oid, 'EXECUTE') AS monitor_executes
  FROM pg_proc p WHERE p.pronamespace = 'ferry'::regnamespace
   AND p.proname IN ('flows', 'lag', 'topics', 'offset_map', 'translate_offset',
                     'translate_group', 'checkpoints', 'heartbeats', 'placement',
                     'placement_check', 'transfers', 'audit_log')
  ORDER BY p.proname;
SELECT c.oid::regclass AS view,
       has_table_privilege('regress_ferry_monitor', c.oid, 'SELECT') AS monitor_reads,
       has_table_privilege('regress_ferry_monitor', c.oid,
                           'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS monitor_writes
  FROM pg_class c WHERE c.relnamespace = 'ferry'::regnamespace AND c.relkind = 'v'
   AND c.relname IN ('flows', 'lag', 'topics', 'checkpoints', 'heartbeats', 'placement',
                     'transfers', 'audit_log')
  ORDER BY c.relname;

-- the history sink's tables (20_sink.sql): every one pg_monitor's to read,
-- none to change (the sink writes through ferry.sink_apply())
SELECT c.oid::regclass AS sink_table,
       has_table_privilege('regress_ferry_monitor', c.oid, 'SELECT') AS monitor_reads,
       has_table_privilege('regress_ferry_monitor', c.oid,
                           'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS monitor_writes
  FROM pg_class c WHERE c.relnamespace = 'ferry'::regnamespace AND c.relkind = 'r'
  ORDER BY c.relname;

-- SECURITY DEFINER only with search_path = pg_catalog, pg_temp
SELECT p.oid::regprocedure AS unsafe_security_definer
  FROM pg_proc p WHERE p.pronamespace = 'ferry'::regnamespace AND p.prosecdef
   AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false);

-- a role without grants is refused
SET ROLE regress_ferry_nogrant;
SELECT * FROM ferry.flows;
SELECT * FROM ferry.flows();
SELECT ferry.translate_offset('A->B', 'orders', 0, 1);
RESET ROLE;

-- a pg_monitor member reads
SET ROLE regress_ferry_monitor;
SELECT flow, source, target FROM ferry.flows;
SELECT count(*) > 0 AS has_topics FROM ferry.topics('A->B');
-- and cannot change anything
SET ferry.control_socket = '/tmp/elsewhere.sock';
SET ferry.timeout_ms = 1;
SET ferry.control_tls_address = '127.0.0.1:9999';
CREATE TABLE ferry.mine (i int);
CREATE VIEW ferry.mine AS SELECT 1;
CREATE OR REPLACE VIEW ferry.flows AS SELECT 1 AS flow;
DROP VIEW ferry.flows;
ALTER FUNCTION ferry.flows() SECURITY DEFINER;
GRANT SELECT ON ferry.flows TO PUBLIC;
ALTER EXTENSION ferry UPDATE;
DROP EXTENSION ferry;
RESET ROLE;

DROP ROLE regress_ferry_nogrant;
DROP ROLE regress_ferry_monitor;
DROP EXTENSION ferry;

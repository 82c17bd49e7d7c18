-- NNN (after the migration that adds audit.prev_hash and audit.hash):
-- audit events carry the hash chain to PostgreSQL verbatim
-- (schema/010_sink_outbox.sql made the view without them). The trigger
-- reads the view by name, so replacing the view is enough.
DROP VIEW sink_src_audit;
CREATE VIEW sink_src_audit AS
SELECT id AS ord, id, 'audit' AS kind, json_array('audit', id) AS key,
       json_object('id', id,
                   'ts', strftime('%Y-%m-%dT%H:%M:%S', ts_ms / 1000, 'unixepoch')
                         || printf('.%03dZ', ts_ms % 1000),
                   'ts_ms', ts_ms, 'who', who, 'role', role, 'origin', origin,
                   'action', action, 'result', result, 'detail', detail,
                   'prev_hash', prev_hash, 'hash', hash) AS payload
FROM audit;

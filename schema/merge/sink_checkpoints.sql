-- NNN (after the migration that creates `checkpoints`): the history sink
-- queues each checkpoint ferry emitted (schema/010_sink_outbox.sql).
-- `checkpoints` keeps the last checkpoint per (flow, grp, topic,
-- partition); PostgreSQL keeps them all (checkpoint_history), so every
-- new (upstream, downstream) is an event of its own. remote_topic is not
-- in the store; the sink fills it in from the flow's replication policy.
CREATE VIEW sink_src_checkpoints AS
SELECT ts_ms AS ord, flow, grp, topic, partition, 'checkpoint' AS kind,
       json_array('checkpoint', flow, grp, topic, partition, upstream, downstream) AS key,
       json_object('flow', flow, 'grp', grp, 'topic', topic, 'partition', partition,
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
CREATE TRIGGER sink_checkpoints_upd AFTER UPDATE ON checkpoints
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_checkpoints s
    WHERE flow = NEW.flow AND grp = NEW.grp AND topic = NEW.topic
      AND partition = NEW.partition
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;

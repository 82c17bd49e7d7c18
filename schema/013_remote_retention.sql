-- 013: the retention.ms in force on each remote topic at its target, as
-- read from the target (DescribeConfigs: the topic's override or, without
-- one, the target's default), for the compliance report's "retention in
-- force at the target" (pgext/sql/40_reports.sql). Written by the topic
-- config sync (appliance/sync/topicconf.c) and by `show placement`
-- (appliance/control/ctl_placement.c) only when the value is new or has
-- changed, so each row written is an observation worth keeping: its
-- trigger queues a topic_retention event for the history sink.
CREATE TABLE remote_retention (
    cluster      TEXT    NOT NULL,   -- the target cluster
    topic        TEXT    NOT NULL,   -- the remote topic's name there
    retention_ms INTEGER NOT NULL,   -- -1: kept forever
    observed_ms  INTEGER NOT NULL,   -- when this value was first read
    flow         TEXT    NOT NULL,   -- the flow whose copy it is, and its
    source_topic TEXT    NOT NULL,   -- source topic (what the report joins by)
    PRIMARY KEY (cluster, topic)
) WITHOUT ROWID;

-- the source of the sink's topic_retention events (012's pattern: the
-- triggers and the backfill read this view); one event per observed value
CREATE VIEW sink_src_remote_retention AS
SELECT observed_ms AS ord, cluster, topic, 'topic_retention' AS kind,
       json_array('topic_retention', cluster, topic, observed_ms) AS key,
       json_object('cluster', cluster, 'topic', topic, 'retention_ms', retention_ms,
                   'observed_at', strftime('%Y-%m-%dT%H:%M:%S', observed_ms / 1000, 'unixepoch')
                                  || printf('.%03dZ', observed_ms % 1000),
                   'flow', flow, 'source_topic', source_topic) AS payload
FROM remote_retention;

CREATE TRIGGER sink_remote_retention_ins AFTER INSERT ON remote_retention
WHEN (SELECT enabled FROM sink_state) = 1
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_remote_retention s WHERE cluster = NEW.cluster AND topic = NEW.topic
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;
-- state.c updates a row only when its value changed
CREATE TRIGGER sink_remote_retention_upd AFTER UPDATE ON remote_retention
WHEN (SELECT enabled FROM sink_state) = 1
     AND OLD.retention_ms IS NOT NEW.retention_ms
BEGIN
    INSERT INTO sink_outbox (kind, key, payload, created_ms)
    SELECT kind, key, payload, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    FROM sink_src_remote_retention s WHERE cluster = NEW.cluster AND topic = NEW.topic
      AND NOT EXISTS (SELECT 1 FROM sink_outbox o WHERE o.key = s.key);
END;

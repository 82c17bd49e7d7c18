-- 007: the remote topics ferry created (appliance/sync/topicconf.c). Topic
-- config sync alters only these: a topic that existed on the target before
-- ferry (made by hand, or by another tool) is never changed. A row is
-- written only after the target confirmed the creation, so a crash in
-- between leaves a topic ferry made looking hand-made: never altered, the
-- safe side.
CREATE TABLE created_topics (
    cluster      TEXT    NOT NULL,   -- target cluster alias
    topic        TEXT    NOT NULL,   -- remote topic name on it
    flow         TEXT    NOT NULL,   -- the flow that created it ("A->B")
    source_topic TEXT    NOT NULL,   -- its source topic
    ts_ms        INTEGER NOT NULL,
    PRIMARY KEY (cluster, topic)
) WITHOUT ROWID;

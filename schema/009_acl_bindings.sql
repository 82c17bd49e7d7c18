-- 009: the ACL bindings ferry created on a flow's target (ACL sync,
-- appliance/sync/aclsync.c).
--
-- ferry removes a binding from the target only when it is in this table:
-- one that already existed when ferry would have created it (made by hand,
-- or by another tool) is never recorded, so never removed. A row is written
-- right after the target acknowledged the creation and deleted right after
-- the target acknowledged the removal (or when the binding is found gone).
-- Names are Kafka's: TOPIC/GROUP, LITERAL/PREFIXED, READ..., ALLOW/DENY.
CREATE TABLE acl_bindings (
    flow          TEXT    NOT NULL,   -- "A->B"
    cluster       TEXT    NOT NULL,   -- the target alias, where the binding is
    resource_type TEXT    NOT NULL,
    pattern_type  TEXT    NOT NULL,
    name          TEXT    NOT NULL,   -- remote topic name, prefix or group
    principal     TEXT    NOT NULL,
    host          TEXT    NOT NULL,
    operation     TEXT    NOT NULL,
    permission    TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL,
    PRIMARY KEY (flow, resource_type, pattern_type, name, principal, host, operation,
                 permission)
) WITHOUT ROWID;

-- ext_sink_stage: ferry.sink_apply() (SECURITY DEFINER) reads the
-- caller's pg_temp.ferry_sink_stage with its owner's rights: it takes only
-- the plain temporary table ferryd makes, never a relation that could run
-- the caller's code as the owner.
CREATE EXTENSION ferry;
\set VERBOSITY default

CREATE ROLE regress_ferry_sink LOGIN;
GRANT USAGE ON SCHEMA ferry TO regress_ferry_sink;
GRANT EXECUTE ON FUNCTION ferry.sink_apply(text) TO regress_ferry_sink;
-- says whom it runs as: the sink's role, never the extension's owner
CREATE FUNCTION public.regress_ferry_probe() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'probe runs as the sink''s role: %', current_user = 'regress_ferry_sink';
    RETURN 'x';
END
$$;
GRANT EXECUTE ON FUNCTION public.regress_ferry_probe() TO regress_ferry_sink;
SET ROLE regress_ferry_sink;

-- a view in the table's place
CREATE TEMP VIEW ferry_sink_stage AS
SELECT 1::bigint AS event_id, 'audit'::text AS kind,
       jsonb_build_object('id', public.regress_ferry_probe()) AS payload;
SELECT ferry.sink_apply('regress');
DROP VIEW ferry_sink_stage;

-- a table of other column types
CREATE TEMP TABLE ferry_sink_stage (event_id bigint, kind text, payload text);
SELECT ferry.sink_apply('regress');
DROP TABLE ferry_sink_stage;

-- a table with row-level security
CREATE TEMP TABLE ferry_sink_stage (event_id bigint NOT NULL, kind text NOT NULL,
    payload jsonb NOT NULL);
ALTER TABLE ferry_sink_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY probe ON ferry_sink_stage USING (public.regress_ferry_probe() = 'x');
SELECT ferry.sink_apply('regress');
DROP TABLE ferry_sink_stage;

-- a table with a child table
CREATE TEMP TABLE ferry_sink_stage (event_id bigint NOT NULL, kind text NOT NULL,
    payload jsonb NOT NULL);
CREATE TEMP TABLE ferry_sink_stage_child () INHERITS (ferry_sink_stage);
SELECT ferry.sink_apply('regress');
DROP TABLE ferry_sink_stage CASCADE;

-- ferryd's own: a batch applied, the cursor moved
CREATE TEMP TABLE ferry_sink_stage (event_id bigint NOT NULL, kind text NOT NULL,
    payload jsonb NOT NULL) ON COMMIT DELETE ROWS;
GRANT SELECT ON pg_temp.ferry_sink_stage TO PUBLIC;
BEGIN;
INSERT INTO ferry_sink_stage VALUES (7, 'config_revision',
    '{"rev": 1, "ts": "2026-12-03T17:58:01.123Z", "who": "ferryd", "comment": "", "text": "x = 1"}');
SELECT ferry.sink_apply('regress');
COMMIT;
RESET ROLE;
SELECT appliance, rev, who, event_id FROM ferry.config_revision;
SELECT appliance, event_id FROM ferry.sink_cursor;

DROP EXTENSION ferry;
DROP FUNCTION public.regress_ferry_probe();
DROP OWNED BY regress_ferry_sink;
DROP ROLE regress_ferry_sink;

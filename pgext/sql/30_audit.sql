-- 30_audit.sql — tamper evidence for ferry.audit_event: the hash chain
-- ferryd builds in its state store (appliance/store/auditchain.c) checked
-- in SQL, with the same encoding and the same words as `ferry audit
-- verify`, per appliance.
--
-- An entry's hash is the lowercase hex SHA-256 of its fields, each encoded
-- as `<length in bytes, decimal>:<bytes>,` (UTF-8), in the order prev_hash,
-- id, ts_ms, who, role, origin, action, result, detail (numbers in decimal
-- ASCII); prev_hash is the hash of the entry before (64 '0's for id 1).
-- docs/auditors-guide.md says what this proves and what it does not.

-- The hash of one entry, as ferryd computes it. NULL when a field is.
CREATE FUNCTION ferry.audit_hash(prev_hash text, id bigint, ts_ms bigint, who text,
                                 role text, origin text, action text, result text,
                                 detail text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
               pg_catalog.string_agg(pg_catalog.length(pg_catalog.convert_to(u.f, 'UTF8'))
                                     || ':' || u.f || ',', '' ORDER BY u.n),
               'UTF8')), 'hex')
      FROM pg_catalog.unnest(ARRAY[prev_hash, id::text, ts_ms::text, who, role, origin,
                                   action, result, detail]) WITH ORDINALITY AS u(f, n);
END;

-- Walks each appliance's chain (or APPLIANCE's only), oldest first: one
-- row per appliance, result ok or broken, how many entries, their first
-- and last id, and the first problem, naming its id: a gap (entries
-- deleted), a hash mismatch (an entry changed after it was written, or its
-- ts no longer its hashed ts_ms) or a prev-hash mismatch (an entry that
-- does not follow the one before it), or a conflict (an id that arrived
-- again from ferryd with other content, kept in ferry.audit_conflict:
-- the state store was rewound or replaced). An appliance with no entry
-- here is ok with 0 checked.
-- (PL/pgSQL refuses an argument and a column of the same name: the walk
-- is audit_verify_walk, audit_verify the SQL face with the names.)
CREATE FUNCTION ferry.audit_verify_walk(p_appliance text)
RETURNS TABLE (o_appliance text, result text, checked bigint, first_id bigint,
               last_id bigint, problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    app text;
    e record;
    want bigint;
    prev text;
    h text;
    cid bigint;
    problem_id bigint;
BEGIN
    FOR app IN
        SELECT DISTINCT a.appliance FROM ferry.audit_event a
         WHERE p_appliance IS NULL OR a.appliance = p_appliance
        UNION
        SELECT c.appliance FROM ferry.audit_conflict c
         WHERE p_appliance IS NULL OR c.appliance = p_appliance
        UNION
        SELECT p_appliance WHERE p_appliance IS NOT NULL
        ORDER BY 1
    LOOP
        o_appliance := app;
        result := 'ok';
        checked := 0;
        first_id := NULL;
        last_id := NULL;
        problem := NULL;
        problem_id := NULL;
        prev := repeat('0', 64);
        FOR e IN
            SELECT a.id, a.ts, a.ts_ms, a.who, a.role, a.origin, a.action, a.result,
                   a.detail, a.prev_hash, a.hash
              FROM ferry.audit_event a WHERE a.appliance = app ORDER BY a.id
        LOOP
            want := CASE WHEN checked = 0 THEN 1 ELSE last_id + 1 END;
            IF checked = 0 THEN
                first_id := e.id;
            END IF;
            checked := checked + 1;
            last_id := e.id;
            IF problem IS NULL THEN
                IF e.id <> want THEN
                    problem := CASE
                        WHEN e.id = want + 1 THEN format('gap: id %s missing (deleted)', want)
                        WHEN e.id > want THEN
                            format('gap: ids %s to %s missing (deleted)', want, e.id - 1)
                        ELSE format('gap: id %s follows id %s (out of order)', e.id,
                                    CASE WHEN checked > 1 THEN want - 1 ELSE 0 END)
                    END;
                ELSIF e.hash IS NULL THEN
                    problem := format('hash mismatch: id %s has no hash', e.id);
                ELSE
                    h := ferry.audit_hash(COALESCE(e.prev_hash, ''), e.id, e.ts_ms, e.who,
                                          e.role, e.origin, e.action, e.result, e.detail);
                    IF e.prev_hash IS NULL OR h IS DISTINCT FROM e.hash THEN
                        problem := format('hash mismatch: id %s (the entry was changed '
                                          'after it was written)', e.id);
                    ELSIF e.ts IS DISTINCT FROM 'epoch'::timestamptz + e.ts_ms * interval '1 millisecond' THEN
                        -- ts is a copy of ts_ms for SQL's sake: not hashed itself
                        problem := format('hash mismatch: id %s (ts is not the hashed '
                                          'ts_ms)', e.id);
                    ELSIF prev IS NULL OR e.prev_hash <> prev THEN
                        problem := CASE WHEN checked = 1 THEN
                            format('prev-hash mismatch: id %s (the first entry''s prev '
                                   'hash is not the genesis hash)', e.id)
                        ELSE
                            format('prev-hash mismatch: id %s (its prev hash is not the '
                                   'hash of id %s)', e.id, e.id - 1)
                        END;
                    END IF;
                END IF;
                IF problem IS NOT NULL THEN
                    result := 'broken';
                    problem_id := e.id;
                END IF;
            END IF;
            prev := CASE WHEN length(e.hash) = 64 THEN e.hash END;
        END LOOP;
        -- an id that arrived again with other content (ferry.sink_apply()
        -- kept it in ferry.audit_conflict): the chain here mixes two
        -- stores' entries, whatever the walk found. Named when it comes
        -- before the walk's first problem.
        SELECT min(c.id) INTO cid FROM ferry.audit_conflict c WHERE c.appliance = app;
        IF cid IS NOT NULL AND (problem IS NULL OR cid <= problem_id) THEN
            result := 'broken';
            problem := format('conflict: id %s arrived again with other content (the '
                              'state store was rewound or replaced)', cid);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;

CREATE FUNCTION ferry.audit_verify(appliance text DEFAULT NULL)
RETURNS TABLE (appliance text, result text, checked bigint, first_id bigint,
               last_id bigint, problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.o_appliance, w.result, w.checked, w.first_id, w.last_id, w.problem
      FROM ferry.audit_verify_walk($1) AS w
$$;

REVOKE ALL ON FUNCTION ferry.audit_hash(text, bigint, bigint, text, text, text, text, text,
                                        text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ferry.audit_verify(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ferry.audit_verify_walk(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ferry.audit_hash(text, bigint, bigint, text, text, text, text,
                                           text, text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION ferry.audit_verify(text) TO pg_monitor;
GRANT EXECUTE ON FUNCTION ferry.audit_verify_walk(text) TO pg_monitor;

-- The audit report from counters instead of a scan of the run.
--
-- `docket report` counted a run's members by group, decision and offer state by joining every
-- member to its case, outcome and offer: at 3,000,000 cases a scan of the run's outcomes and of
-- the 3.6 GB `cases` heap (40 s under load), on every call. `run_groups` holds, per run, the cases
-- of each combination of the report's dimensions (court, nationality, language, representation,
-- custody, a petition on record), decision and offer state, so a report of any one or two
-- dimensions sums a few thousand rows.
--
-- Outcomes never change once written, so a wholly reviewed run's combinations are counted once,
-- by one scan (`store::groups::build`, run by `serve` in the background when the run completes,
-- or by the first report), not by a trigger on `outcomes`: looking each new outcome's case up
-- again cost the worker's insert about as much as the insert itself. Offers change afterwards;
-- a trigger on `offers` appends the net change of each statement (one row per combination it
-- changed), and the report folds a run's rows into one per combination. `run_group_builds` says
-- which runs were counted. The dimensions are the case's as imported when the run was counted.

CREATE TABLE run_group_builds (
    run_id    BIGINT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    built_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE run_groups (
    run_id       BIGINT NOT NULL,
    court        TEXT NOT NULL,
    nationality  TEXT NOT NULL,
    language     TEXT NOT NULL,
    represented  BOOLEAN NOT NULL,
    custody      TEXT NOT NULL,
    -- The record shows a pending or approved petition (the report's `relief` dimension).
    petition     BOOLEAN NOT NULL,
    -- The outcome's decision.
    decision     TEXT,
    -- The offer's state; NULL: no offer.
    state        TEXT,
    n            BIGINT NOT NULL,
    -- When the rows counted were written; '-infinity' once folded.
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX run_groups_run ON run_groups (run_id, at);

-- The report's `relief` group of a case record: whether `factors.pending_petition` is an object
-- rather than null. The record is the canonical text it was imported with (validated: the key
-- appears nowhere else, a string cannot hold it unescaped), so a search of the text answers
-- without parsing the JSON (`record -> ...` parses up to the key, a few µs a case).
CREATE FUNCTION case_has_petition(record JSON) RETURNS BOOLEAN LANGUAGE sql IMMUTABLE AS $$
    SELECT strpos(record::text, '"pending_petition":{') > 0
$$;

-- Changes of offers, one line per (run, case, state) added (+1) or taken away (-1): each case
-- counted in its group under its outcome's decision.
CREATE FUNCTION run_groups_add(run_ids BIGINT[], case_ids TEXT[], states TEXT[], ds INTEGER[])
RETURNS VOID LANGUAGE sql AS $$
    INSERT INTO run_groups (run_id, court, nationality, language, represented, custody, petition,
                            decision, state, n)
    SELECT t.run_id, c.court, c.nationality, c.language, c.represented, c.custody,
           case_has_petition(c.record), oc.decision, t.state, sum(t.d)
    FROM UNNEST(run_ids, case_ids, states, ds) AS t(run_id, case_id, state, d)
    CROSS JOIN LATERAL (SELECT * FROM cases c WHERE c.case_id = t.case_id LIMIT 1) c
    LEFT JOIN LATERAL (SELECT o.decision FROM outcomes o
                       WHERE o.run_id = t.run_id AND o.case_id = t.case_id LIMIT 1) oc ON true
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    HAVING sum(t.d) <> 0
$$;

-- Only runs already counted are kept (`run_group_builds`): the count of a run still under review
-- is made later, by one scan, so its offers' changes need not be. The shared lock waits for a
-- count of the run in progress (which holds it exclusively) and holds one back until this
-- transaction ends, so a change is either in the count's scan or appended here, never neither
-- nor both.
CREATE FUNCTION run_groups_offers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A new offer moves its case from "no offer" to its state; a deleted one back; an update
    -- from the old state to the new (rows whose state did not change are left out).
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_advisory_xact_lock_shared(hashtext('run_groups'), run_id::int)
        FROM (SELECT DISTINCT run_id FROM new_rows) r;
        PERFORM run_groups_add(array_agg(run_id), array_agg(case_id), array_agg(state), array_agg(d))
        FROM (SELECT run_id, case_id, state, 1 AS d FROM new_rows
              UNION ALL SELECT run_id, case_id, NULL, -1 FROM new_rows) c
        WHERE run_id IN (SELECT run_id FROM run_group_builds)
        HAVING count(*) > 0;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_advisory_xact_lock_shared(hashtext('run_groups'), run_id::int)
        FROM (SELECT DISTINCT run_id FROM old_rows) r;
        PERFORM run_groups_add(array_agg(run_id), array_agg(case_id), array_agg(state), array_agg(d))
        FROM (SELECT run_id, case_id, state, -1 AS d FROM old_rows
              UNION ALL SELECT run_id, case_id, NULL, 1 FROM old_rows) c
        WHERE run_id IN (SELECT run_id FROM run_group_builds)
        HAVING count(*) > 0;
    ELSE
        PERFORM pg_advisory_xact_lock_shared(hashtext('run_groups'), run_id::int)
        FROM (SELECT DISTINCT run_id FROM new_rows) r;
        PERFORM run_groups_add(array_agg(run_id), array_agg(case_id), array_agg(state), array_agg(d))
        FROM (SELECT n.run_id, n.case_id, s.state, s.d
              FROM new_rows n JOIN old_rows o USING (run_id, case_id)
              CROSS JOIN LATERAL (VALUES (n.state, 1), (o.state, -1)) AS s(state, d)
              WHERE n.state IS DISTINCT FROM o.state) c
        WHERE run_id IN (SELECT run_id FROM run_group_builds)
        HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER offers_grouped_insert AFTER INSERT ON offers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_groups_offers();
CREATE TRIGGER offers_grouped_update AFTER UPDATE ON offers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_groups_offers();
CREATE TRIGGER offers_grouped_delete AFTER DELETE ON offers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION run_groups_offers();

-- The report's groups on the outcome, so that a run is counted by group from its outcomes alone.
--
-- The one count of a wholly reviewed run (`store::groups::ensure_counted`) joined every member to
-- its outcome, its offer and its case: at 3,000,000 cases two hash joins of 3M rows and a pass
-- over the 3.6 GB heap of `cases`, 23 s on a quiet machine, for the first report of each run.
-- The worker knows each case's groups as it decides it (they come from the record it decided on,
-- whose facts hash the insert checks against the imported record), so it writes them with the
-- outcome: about 20 bytes a row. The count then reads the run's outcome partition and its offers.
--
-- Rows written before this migration have NULL groups; the count takes those cases' groups from
-- `cases` instead, as before. The court comes from the imported record's key, as the insert
-- already reads it.
ALTER TABLE outcomes
    ADD COLUMN court       TEXT,
    ADD COLUMN nationality TEXT,
    ADD COLUMN language    TEXT,
    ADD COLUMN represented BOOLEAN,
    ADD COLUMN custody     TEXT,
    ADD COLUMN petition    BOOLEAN;

-- An offer's change counted in its case's group as reviewed (the outcome's), or as imported for
-- an outcome written before its groups were kept (see 20261206200001_run_groups.sql).
CREATE OR REPLACE FUNCTION run_groups_add(run_ids BIGINT[], case_ids TEXT[], states TEXT[], ds INTEGER[])
RETURNS VOID LANGUAGE sql AS $$
    INSERT INTO run_groups (run_id, court, nationality, language, represented, custody, petition,
                            decision, state, n)
    SELECT t.run_id, coalesce(oc.court, c.court), coalesce(oc.nationality, c.nationality),
           coalesce(oc.language, c.language), coalesce(oc.represented, c.represented),
           coalesce(oc.custody, c.custody), coalesce(oc.petition, case_has_petition(c.record)),
           oc.decision, t.state, sum(t.d)
    FROM UNNEST(run_ids, case_ids, states, ds) AS t(run_id, case_id, state, d)
    CROSS JOIN LATERAL (SELECT * FROM cases c WHERE c.case_id = t.case_id LIMIT 1) c
    LEFT JOIN LATERAL (SELECT o.decision, o.court, o.nationality, o.language, o.represented,
                              o.custody, o.petition
                       FROM outcomes o
                       WHERE o.run_id = t.run_id AND o.case_id = t.case_id LIMIT 1) oc ON true
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    HAVING sum(t.d) <> 0
$$;

-- Run progress from counters, not from counting outcomes.
--
-- At 3,000,000 outcomes a run's `count(*)` takes seconds, and `status`, every scrape of `serve`'s
-- /metrics and the refresh that marks finished runs completed each ran one. Each statement that
-- inserts outcomes now appends one row per (run, decision) it inserted, in the same transaction:
-- append-only, so concurrent workers never wait on each other's counter row. Readers sum a run's
-- rows; `run_state::complete_finished` folds rows older than a few minutes into one per key, so a
-- run keeps a handful of rows whatever its size. Only inserted rows are counted (an `ON CONFLICT
-- DO NOTHING` that inserts nothing adds nothing); outcomes are never updated, and are deleted only
-- with their run (`run archive`), which deletes its counters too.

CREATE TABLE run_counts (
    run_id  BIGINT NOT NULL,
    -- What is counted: 'decision' (outcomes by decision).
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    n       BIGINT NOT NULL,
    -- When the rows counted were written (transaction time); '-infinity' once folded.
    at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX run_counts_run ON run_counts (run_id, kind);
CREATE INDEX run_counts_at ON run_counts (at);

CREATE FUNCTION run_counts_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO run_counts (run_id, kind, key, n)
    SELECT run_id, 'decision', decision, count(*) FROM inserted GROUP BY run_id, decision;
    RETURN NULL;
END
$$;

CREATE TRIGGER outcomes_counted AFTER INSERT ON outcomes
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_outcomes();

INSERT INTO run_counts (run_id, kind, key, n, at)
SELECT run_id, 'decision', decision, count(*), max(decided_at)
FROM outcomes GROUP BY run_id, decision;

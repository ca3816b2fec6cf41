-- Outcomes partitioned by run, so that a run's outcomes are dropped with one statement.
--
-- At 3,000,000 cases a run's outcomes are ~2 GB; deleting them row by row takes minutes of WAL and
-- leaves the table to vacuum. `run create` gives each new run a partition of its own
-- (`outcomes_run_<id>`); `run archive` detaches and drops it. Rows of runs made before this
-- migration stay in the default partition, as do rows of a run made without `run create`.

DROP TRIGGER outcomes_counted ON outcomes;
ALTER TABLE outcomes RENAME TO outcomes_default;
ALTER TABLE outcomes_default RENAME CONSTRAINT outcomes_pkey TO outcomes_default_pkey;
ALTER INDEX outcomes_decision RENAME TO outcomes_default_decision;

CREATE TABLE outcomes (
    LIKE outcomes_default INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (run_id, case_id),
    FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE
) PARTITION BY LIST (run_id);
CREATE INDEX outcomes_decision ON outcomes (run_id, decision);

ALTER TABLE outcomes ATTACH PARTITION outcomes_default DEFAULT;

CREATE TRIGGER outcomes_counted AFTER INSERT ON outcomes
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION run_counts_outcomes();

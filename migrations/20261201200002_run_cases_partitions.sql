-- Run members partitioned by run, like outcomes: `run create` fills a new run's partition before
-- it has any index, builds its two indexes in one sorted pass each and attaches it, instead of
-- inserting 3,000,000 rows one by one into a primary key they reach in random order (~20 s at
-- 3M); `run archive` drops the partition with one statement. Members of runs made before this
-- migration stay in the default partition.

ALTER TABLE run_cases RENAME TO run_cases_default;
ALTER TABLE run_cases_default RENAME CONSTRAINT run_cases_pkey TO run_cases_default_pkey;
ALTER INDEX run_cases_seq RENAME TO run_cases_default_seq;

CREATE TABLE run_cases (
    LIKE run_cases_default INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
    PRIMARY KEY (run_id, case_id),
    FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE
) PARTITION BY LIST (run_id);
CREATE UNIQUE INDEX run_cases_seq ON run_cases (run_id, seq);

ALTER TABLE run_cases ATTACH PARTITION run_cases_default DEFAULT;

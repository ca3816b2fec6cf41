-- No foreign-key check per outcome row.
--
-- The foreign key from `outcomes` to `runs` fired a trigger for every inserted outcome: a lookup of
-- the run and a `FOR KEY SHARE` lock on its row, 500 times a batch for the same run. Measured on a
-- 300,000-case run (one backend replaying the worker's batch statement, load 10-11), it was a fifth
-- of the statement's PostgreSQL CPU: 23.6-24.1 us a case with it, 18.9-19.5 without.
--
-- What it guarded still holds without it, for the rows of a run's own partition
-- (`outcomes_run_<id>`, which `run create` makes for every run):
-- - an outcome is written only for a member of the run (the batch statement's membership check
--   against `run_cases`, whose foreign key to `runs` stays), and the worker's batch transaction
--   holds a share lock on the run's row (`run_state::lock_states`) until it commits, so the run
--   cannot be deleted under it;
-- - a run's partition is dropped with the run (`run archive` drops it before deleting the run).
-- Rows in the default partition (runs made before partitions, or without `run create`) keep the
-- foreign key and its cascade, on that partition alone.

ALTER TABLE outcomes DROP CONSTRAINT outcomes_run_id_fkey1;
ALTER TABLE outcomes_default
    ADD CONSTRAINT outcomes_default_run_id_fkey FOREIGN KEY (run_id) REFERENCES runs (id)
    ON DELETE CASCADE;

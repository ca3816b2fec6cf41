-- One index fewer to update for every outcome: `outcomes_decision` (run, decision).
--
-- Nothing reads outcomes by decision any more: progress, `status` and `/metrics` sum the
-- `run_counts` counters, the report reads `run_groups`, and the console's run page and the
-- exports read a run's whole partition. Each outcome still updated the index, in WAL and buffers:
-- replaying the worker's batch statement over a 300,000-case run, WAL fell from ~492 to ~410
-- bytes a case without it. Lookups by run and case use the primary key.
DROP INDEX outcomes_decision;

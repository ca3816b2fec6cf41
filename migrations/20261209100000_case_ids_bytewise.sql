-- Case ids compared byte by byte (`COLLATE "C"`), in every table that keys on them.
--
-- A case id is 1-40 ASCII letters, digits and '-' (`domain::CaseId`), so its natural order is
-- the bytes' order, the one the worker and the rest of the code sort by. Under the database's
-- collation (C.UTF-8, en_US.UTF-8 ...) every comparison went through the C library's `strcoll`,
-- and the worker's batch statement compares case ids all the time: the run's membership key,
-- the imported record's key and the outcome key, each descended once or twice per case. Profiled
-- at 3,000,000 cases, `bttextcmp` and the locale calls under it were ~7% of the machine during
-- the review, and sorts of case ids (the import's key build, `run create`) cannot use
-- abbreviated keys under a locale. Measured on a 300,000-row copy of an outcome partition:
-- 1.68-2.27 s to insert it under the locale, 1.44-1.53 s bytewise.
--
-- The tables are not rewritten (the type stays text); their indexes on case_id are rebuilt.
-- Partitions follow their parent; `run create` makes new ones `LIKE` the parent, which copies
-- the collation. `transitions` refers to `offers` by (run_id, case_id): both change together.

ALTER TABLE cases ALTER COLUMN case_id TYPE text COLLATE "C";
ALTER TABLE run_cases ALTER COLUMN case_id TYPE text COLLATE "C";
ALTER TABLE outcomes ALTER COLUMN case_id TYPE text COLLATE "C";
ALTER TABLE transitions ALTER COLUMN case_id TYPE text COLLATE "C";
ALTER TABLE offers ALTER COLUMN case_id TYPE text COLLATE "C";
ALTER TABLE notifications ALTER COLUMN case_id TYPE text COLLATE "C";

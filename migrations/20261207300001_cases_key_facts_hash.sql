-- The worker's membership and facts check answered from the primary key of `cases` alone.
--
-- Every outcome the worker writes is checked against the imported record's facts hash: a lookup
-- of the case by its key and then a read of its row in the heap (1.1 KB records, 2 GB per million
-- cases, far more than PostgreSQL's buffers at 3,000,000). With the hash in the key (a covering
-- index, like the court) the lookup is an index-only scan: the heap is not read, since an import
-- into an empty `cases` writes its pages all-visible (`COPY ... FREEZE`) and vacuum keeps them so.
-- Measured replaying the worker's batch statement over a 300,000-case run (one backend, load 10-11):
-- 18.7-19.5 us of PostgreSQL CPU a case before, 15.3-16.5 after, and the statement's wall time
-- 15.5-17.8 s -> 10.5-14.3 s for the run. The key grows from ~40 to ~110 bytes a case (32 MB at
-- 300,000), built once per import in one sorted pass. A re-import that changes a record's facts
-- changes its key entry too (such updates are no longer HOT); unchanged records are not rewritten.
ALTER TABLE cases DROP CONSTRAINT cases_pkey,
    ADD CONSTRAINT cases_pkey PRIMARY KEY (case_id) INCLUDE (court, facts_hash);

-- Publish progress as a watermark per run instead of a timestamp per case.
--
-- Each member of a run gets a sequence number when the run is created, in the order the cases lie
-- on disk, and enqueue publishes in that order. Broker confirms are settled in publishing order,
-- so what the broker has confirmed is always "every member up to some sequence number": that
-- number, and one row per confirmed message, replace one row update per case. Measured on a
-- 300,000-case backlog: the per-case updates cost PostgreSQL ~9 s, and reading members in case-id
-- order fetched one 8 kB page per case from outside shared buffers (~3x slower than disk order).

-- Members of the run, fixed when it is created (progress no longer counts run_cases).
ALTER TABLE runs ADD COLUMN total_cases BIGINT NOT NULL DEFAULT 0;

ALTER TABLE run_cases ADD COLUMN seq BIGINT;
UPDATE run_cases rc SET seq = n.seq
FROM (SELECT run_id, case_id, row_number() OVER (PARTITION BY run_id ORDER BY case_id) AS seq
      FROM run_cases) n
WHERE n.run_id = rc.run_id AND n.case_id = rc.case_id;
ALTER TABLE run_cases ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX run_cases_seq ON run_cases (run_id, seq);

-- How far the broker has confirmed a run's members. A table of its own, not columns of `runs`:
-- workers hold share locks on run rows while they commit, and publishing must not wait for them.
CREATE TABLE run_publish_progress (
    run_id             BIGINT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    -- Every member with a sequence number up to this one is confirmed (0: none).
    published_through  BIGINT NOT NULL DEFAULT 0,
    -- Members confirmed since publishing last started from the first.
    published_cases    BIGINT NOT NULL DEFAULT 0
);

-- One row per confirmed message: the members it carried and when the broker confirmed it.
CREATE TABLE run_publishes (
    id            BIGSERIAL PRIMARY KEY,
    run_id        BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    first_seq     BIGINT NOT NULL,
    last_seq      BIGINT NOT NULL,
    cases         INTEGER NOT NULL,
    confirmed_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX run_publishes_run ON run_publishes (run_id, last_seq);

-- Carry existing progress over. Earlier versions published in case-id order (the order `seq` was
-- just given in); the watermark stops before the first member never confirmed, so nothing is
-- skipped (a member confirmed after such a gap is published again, which is harmless: outcomes
-- are unique per run and case).
UPDATE runs r SET total_cases = (SELECT count(*) FROM run_cases rc WHERE rc.run_id = r.id);

WITH gaps AS (
    SELECT run_id, min(seq) FILTER (WHERE published_at IS NULL) AS first_gap
    FROM run_cases GROUP BY run_id
)
INSERT INTO run_publish_progress (run_id, published_through, published_cases)
SELECT rc.run_id, max(rc.seq), count(*)
FROM run_cases rc JOIN gaps g USING (run_id)
WHERE rc.published_at IS NOT NULL AND (g.first_gap IS NULL OR rc.seq < g.first_gap)
GROUP BY rc.run_id;

INSERT INTO run_publishes (run_id, first_seq, last_seq, cases, confirmed_at)
SELECT p.run_id, 1, p.published_through, p.published_cases, max(rc.published_at)
FROM run_publish_progress p JOIN run_cases rc ON rc.run_id = p.run_id AND rc.seq <= p.published_through
GROUP BY p.run_id, p.published_through, p.published_cases;

DROP INDEX run_cases_unpublished;
ALTER TABLE run_cases DROP COLUMN published_at;

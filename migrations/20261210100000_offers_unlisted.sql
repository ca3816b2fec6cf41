-- The offers the console's worklist does not list: those without a score or a court, which only
-- an offer not made by the pipeline lacks (the pipeline copies both from the outcome and the
-- case when it makes one). The index is normally empty; it lets the worklist ask in one probe
-- whether a run has any, and when it has none, take a whole queue's size from the run's offer
-- counters (`run_counts`) instead of counting the queue's offers on every page (80 ms for the
-- 230,000 recommendations of a 3,000,000-case run).
CREATE INDEX offers_unlisted ON offers (run_id) WHERE score IS NULL OR court IS NULL;

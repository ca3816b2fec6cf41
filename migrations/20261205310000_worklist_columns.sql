-- The worklist's filters and orders on the offer row itself.
--
-- At 300,000 cases a run has about 23,000 recommendations. The worklist used to join each queue's
-- offers to their outcomes (score, fired rules as JSON) and to their cases (court, and the filing
-- date read out of the whole JSON record) for every count and page: p95 1.6 s. The offer now
-- carries what the worklist filters and sorts on, written when the offer is created (from its
-- outcome and case, which never change afterwards), so a queue is counted and paged from the
-- offers table alone, in the order of an index.

ALTER TABLE offers
    ADD COLUMN court      TEXT,
    ADD COLUMN score      INTEGER,
    -- Ids of the qualifying rules that fired.
    ADD COLUMN categories TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN filed_on   DATE;

UPDATE offers o
SET court = f.court, score = f.score, categories = f.categories, filed_on = f.filed_on
FROM (
    SELECT o2.run_id, o2.case_id, c.court, oc.score,
           coalesce(ARRAY(SELECT r->>'id' FROM jsonb_array_elements(oc.fired) r
                          WHERE r->>'kind' = 'qualifying'), '{}') AS categories,
           (c.record->>'filed_on')::date AS filed_on
    FROM offers o2
    LEFT JOIN outcomes oc ON oc.run_id = o2.run_id AND oc.case_id = o2.case_id
    LEFT JOIN cases c ON c.case_id = o2.case_id
) f
WHERE f.run_id = o.run_id AND f.case_id = o.case_id;

-- One index per order of the worklist, each led by the queue (run and state) and ending with the
-- case id, so that a page is a short range scan from the last row of the page before (keyset
-- pagination); case-id order already has `offers_state_case`. Score descending reads
-- `offers_queue_score` backwards; offers without a deadline sort last.
CREATE INDEX offers_queue_score ON offers (run_id, state, score, case_id);
CREATE INDEX offers_queue_filed ON offers (run_id, state, filed_on, case_id);
CREATE INDEX offers_queue_deadline ON offers (run_id, state, (coalesce(deadline, 'infinity'::date)), case_id);
-- The court filter, in case-id order (the worklist's default).
CREATE INDEX offers_queue_court ON offers (run_id, state, court, case_id);

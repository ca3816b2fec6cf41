-- The console's worklist: a queue's offers in case-id order (a page stops after its rows), and a
-- case's court without reading its wide record.
CREATE INDEX offers_state_case ON offers (run_id, state, case_id);
CREATE INDEX cases_case_court ON cases (case_id) INCLUDE (court);

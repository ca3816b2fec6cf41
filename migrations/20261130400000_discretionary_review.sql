-- One more automated decision: "non-priority: attorney's discretionary review" (Johnson 2014,
-- Mayorkas 2021, and gates that compelling factors override).
ALTER TABLE outcomes DROP CONSTRAINT outcomes_decision_check;
ALTER TABLE outcomes ADD CONSTRAINT outcomes_decision_check CHECK (decision IN
    ('enforcement_priority', 'refer_dismissal', 'offer_recommended', 'not_amenable',
     'discretionary_review', 'out_of_scope'));

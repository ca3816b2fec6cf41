-- Slimmer outcome rows: the ids of the rules that fired instead of every reason in words, and the
-- rule set's name, version and hash on the run only.
--
-- An outcome row was ~600 bytes, ~350 of them the fired rules as JSON with every reason's text and
-- ~150 the rule set's name, version and hash, the same on every row of a run. The reasons are the
-- rule set's own words (a rule's reason), or follow from the rules that fired, the score and the
-- run (scope checks, the threshold comparison, the deciding reason), and a run keeps the text of
-- its rule set: `RuleSet::explain` writes them again, word for word, for `show`, the API and the
-- console. New rows store `fired_ids` ("G_FELONY Q_CHILD P_SCHOOL", a scope check with the value
-- it refused: "SCOPE_CUSTODY=D") and leave `fired` and the rule set's columns null; rows written
-- before keep their stored words and are read as they are (no rewrite of existing runs).

ALTER TABLE outcomes
    ADD COLUMN fired_ids TEXT,
    ALTER COLUMN fired DROP NOT NULL,
    ALTER COLUMN rules_name DROP NOT NULL,
    ALTER COLUMN rules_version DROP NOT NULL,
    ALTER COLUMN rules_hash DROP NOT NULL;

ALTER TABLE outcomes
    ADD CONSTRAINT outcomes_fired_kept CHECK (fired IS NOT NULL OR fired_ids IS NOT NULL);

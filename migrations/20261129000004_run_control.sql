-- Run control: a run's state (who/when/why in run_state_changes), a global token bucket per
-- throttled run, and the status of each policy (rule-set name) with its own history.

ALTER TABLE runs
    ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'paused', 'throttled', 'cancelled', 'completed')),
    -- Cases per second while throttled.
    ADD COLUMN rate DOUBLE PRECISION CHECK (rate IS NULL OR rate > 0),
    ADD COLUMN state_changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Paused because its policy was halted (resumed when the policy is active again).
    ADD COLUMN paused_by_policy BOOLEAN NOT NULL DEFAULT false,
    -- A worker parked jobs of this run in its parking queue; the first worker to see the run
    -- reviewable again (or cancelled) clears this and releases (or drops) them.
    ADD COLUMN parked BOOLEAN NOT NULL DEFAULT false,
    -- Token bucket of a throttled run: never above 0 (no burst); a batch takes its cases and
    -- waits out the debt, so all workers together stay under `rate`.
    ADD COLUMN bucket_tokens DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN bucket_at TIMESTAMPTZ NOT NULL DEFAULT now();

CREATE TABLE run_state_changes (
    id          BIGSERIAL PRIMARY KEY,
    run_id      BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    rate        DOUBLE PRECISION,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX run_state_changes_run ON run_state_changes (run_id, id);

-- The legal status of a policy, by rule-set name; no row means the rule set's own status.
CREATE TABLE policy_status (
    rules_name  TEXT PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('active', 'enjoined', 'vacated', 'rescinded', 'superseded')),
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE policy_status_changes (
    id          BIGSERIAL PRIMARY KEY,
    rules_name  TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Held notices the operator gave up on are cancelled, never sent.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'held', 'cancelled'));

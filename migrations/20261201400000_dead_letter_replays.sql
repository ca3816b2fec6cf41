-- Replays of dead letters from the console: who replayed which letters (by filter), when and why,
-- and what happened. The audit shows them beside offer transitions and run-state changes.
CREATE TABLE dead_letter_replays (
    id            BIGSERIAL PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor         TEXT NOT NULL,
    kind          TEXT,
    run           TEXT,
    reason_text   TEXT,
    reason        TEXT NOT NULL,
    replayed      BIGINT NOT NULL,
    still_invalid BIGINT NOT NULL,
    skipped       BIGINT NOT NULL
);
CREATE INDEX dead_letter_replays_at ON dead_letter_replays (at DESC);

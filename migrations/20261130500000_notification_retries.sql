-- Who sent failed notices again, when, and which: one row per `docket notify retry`.
CREATE TABLE notification_retries (
    id        BIGSERIAL PRIMARY KEY,
    run_id    BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    -- The filters given (NULL: every kind / channel).
    kind      TEXT,
    channel   TEXT CHECK (channel IN ('email', 'letter')),
    -- Failed notices made pending again.
    notices   BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notification_retries_run ON notification_retries (run_id, id);

-- Offers and their lifecycle, every transition with who/when/why, and the notification outbox.

-- One offer per (run, case) whose outcome was offer_recommended; `state` is the current lifecycle state.
CREATE TABLE offers (
    run_id       BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    case_id      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN
                   ('offer_recommended', 'approved', 'rejected', 'background_cleared', 'background_failed',
                    'offered', 'accepted', 'declined', 'expired', 'closed', 'recalendared')),
    -- Response deadline, set when the offer is made.
    deadline     DATE,
    offered_at   TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, case_id)
);
CREATE INDEX offers_state ON offers (run_id, state);

-- Every transition, in order; the first one of an offer has from_state NULL.
CREATE TABLE transitions (
    id          BIGSERIAL PRIMARY KEY,
    run_id      BIGINT NOT NULL,
    case_id     TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (run_id, case_id) REFERENCES offers (run_id, case_id) ON DELETE CASCADE
);
CREATE INDEX transitions_case ON transitions (run_id, case_id, id);

-- The outbox: one row per (transition, recipient, channel), written in the transaction of the
-- transition, relayed by `docket notify`.
CREATE TABLE notifications (
    id               BIGSERIAL PRIMARY KEY,
    -- Deterministic: "<run_id>/<case_id>/<transition_id>/<recipient>/<channel>"; unique so a notice
    -- can never be queued twice, and used as the Message-ID / letter file name.
    idempotency_key  TEXT NOT NULL UNIQUE,
    run_id           BIGINT NOT NULL,
    case_id          TEXT NOT NULL,
    transition_id    BIGINT NOT NULL REFERENCES transitions (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    recipient        TEXT NOT NULL CHECK (recipient IN ('respondent', 'counsel')),
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'letter')),
    language         TEXT NOT NULL,
    -- Everything the template needs (names, addresses, A-number, court, dates). PII, never logged;
    -- never holds the confidential asylum or VAWA/T/U flags.
    payload          JSONB NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'held')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT,
    sent_at          TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE status = 'pending';

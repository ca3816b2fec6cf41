-- Core pipeline: imported cases, runs with their stored policy, run membership and publish progress,
-- and one outcome per (run, case).

CREATE TABLE cases (
    case_id      TEXT PRIMARY KEY,
    court        TEXT NOT NULL,
    case_type    TEXT NOT NULL,
    custody      TEXT NOT NULL,
    nationality  TEXT NOT NULL,
    language     TEXT NOT NULL,
    represented  BOOLEAN NOT NULL,
    -- The whole validated record (contract JSON). Holds PII: never exported to logs or metrics.
    record       JSONB NOT NULL,
    -- sha256 of the canonical record; re-importing an unchanged case leaves the row untouched.
    facts_hash   TEXT NOT NULL,
    imported_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX cases_court ON cases (court);

CREATE TABLE runs (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    -- The rule set exactly as read, and what identifies it; workers evaluate this stored copy.
    rules_name     TEXT NOT NULL,
    rules_version  TEXT NOT NULL,
    rules_hash     TEXT NOT NULL,
    rules_text     TEXT NOT NULL,
    -- Review date: ages and durations in the rules are computed as of this day.
    as_of          DATE NOT NULL,
    -- Courts the run is limited to; NULL means every court.
    courts         TEXT[],
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Membership of a run, fixed when the run is created; publish progress makes enqueue resumable.
CREATE TABLE run_cases (
    run_id        BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    case_id       TEXT NOT NULL,
    published_at  TIMESTAMPTZ,
    PRIMARY KEY (run_id, case_id)
);
CREATE INDEX run_cases_unpublished ON run_cases (run_id, case_id) WHERE published_at IS NULL;

CREATE TABLE outcomes (
    run_id         BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    case_id        TEXT NOT NULL,
    job_id         UUID NOT NULL,
    decision       TEXT NOT NULL CHECK (decision IN
                     ('enforcement_priority', 'refer_dismissal', 'offer_recommended', 'not_amenable', 'out_of_scope')),
    score          INTEGER NOT NULL,
    -- Every rule that fired: [{id, kind, reason, points}].
    fired          JSONB NOT NULL,
    rules_name     TEXT NOT NULL,
    rules_version  TEXT NOT NULL,
    rules_hash     TEXT NOT NULL,
    -- sha256 of the case record the decision was made on.
    facts_hash     TEXT NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    worker         TEXT NOT NULL,
    -- Exactly one outcome per case and run, whatever the redeliveries.
    PRIMARY KEY (run_id, case_id)
);
CREATE INDEX outcomes_decision ON outcomes (run_id, decision);

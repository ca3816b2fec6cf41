-- Named people and services: accounts with a role, server-side sessions, API tokens stored as
-- digests, and failed sign-ins (for rate limiting by account and by address).

CREATE TABLE accounts (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('viewer', 'attorney', 'operator', 'admin')),
    -- argon2id PHC string; NULL for a service account, which cannot sign in.
    password_hash   TEXT,
    disabled        BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by      TEXT NOT NULL
);

-- A session cookie holds a random secret; only its sha256 is stored.
CREATE TABLE sessions (
    digest          BYTEA PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id              BIGSERIAL PRIMARY KEY,
    digest          BYTEA NOT NULL UNIQUE,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scope           TEXT NOT NULL CHECK (scope IN ('read', 'attorney', 'operator')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by      TEXT NOT NULL
);

CREATE TABLE signin_failures (
    id              BIGSERIAL PRIMARY KEY,
    account_name    TEXT NOT NULL,
    address         TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX signin_failures_account ON signin_failures (account_name, at);
CREATE INDEX signin_failures_address ON signin_failures (address, at);

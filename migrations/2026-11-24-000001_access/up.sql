-- Suspension, and when an account's role or status last changed: access tokens issued before
-- that instant stop working (the API mirrors both into Redis, checked on every request).
ALTER TABLE users
    ADD COLUMN status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    ADD COLUMN access_changed_at TIMESTAMPTZ;
CREATE INDEX users_suspended_idx ON users (id) WHERE status = 'suspended';

-- API keys: only a keyed hash (HMAC-SHA256) of the secret is stored; `prefix` is the
-- recognisable start shown in lists. Scopes are checked on every request.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    prefix       TEXT NOT NULL,
    secret_hash  BYTEA NOT NULL,
    scopes       TEXT[] NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash)
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at DESC, id DESC);
CREATE INDEX api_keys_revoked_idx ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;

-- Who did what to what, with the state before and after. Append-only; the actor is kept as
-- text so that deleting an account never rewrites history.
CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    before      JSONB,
    after       JSONB,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id DESC);
CREATE INDEX audit_events_action_idx ON audit_events (action, id DESC);

-- Every piece of background work. The row is the source of truth; RabbitMQ only carries its id.
-- status: queued -> running -> succeeded; a failed attempt that will be retried is `failed`;
-- a permanent failure or the last failed attempt is `dead` (kept, listed and replayed by operators).
CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    payload        JSONB NOT NULL,
    status         TEXT NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    max_attempts   INTEGER NOT NULL,
    last_error     TEXT,
    progress_done  INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    result         JSONB,
    user_id        TEXT REFERENCES users (id) ON DELETE SET NULL,
    request_id     TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at     TIMESTAMPTZ,
    finished_at    TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX jobs_user_id_idx ON jobs (user_id);
CREATE INDEX jobs_dead_idx ON jobs (finished_at) WHERE status = 'dead';
SELECT diesel_manage_updated_at('jobs');

-- Written in the same transaction as the job; the relay publishes pending rows with publisher
-- confirms and only then sets sent_at.
CREATE TABLE outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    request_id  TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at     TIMESTAMPTZ
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE sent_at IS NULL;

-- Emails already handed to the mail server, by idempotency key: a redelivered job does not
-- send twice.
CREATE TABLE sent_emails (
    idempotency_key TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    sent_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE albums ADD COLUMN cover_key TEXT;

CREATE TABLE album_likes (
    album_id   TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (album_id, user_id)
);
CREATE INDEX album_likes_user_id_idx ON album_likes (user_id);

-- Retries are scheduled in PostgreSQL, not in RabbitMQ delay queues (which the broker deletes
-- when they expire, taking their messages with them). A failed attempt with attempts left makes
-- the job `retrying` with `next_attempt_at`, and writes an outbox row that the relays publish only
-- once it is `available_at`. A running attempt keeps `heartbeat_at` fresh, so that a job whose
-- worker is gone can be told from one that is working.
--
-- `failed` stays allowed for one release: a worker of the previous version, still running during
-- a rolling upgrade, writes it for a pending retry; this version reads it as `retrying`.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'retrying', 'succeeded', 'failed', 'dead'));
ALTER TABLE jobs ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE jobs ADD COLUMN heartbeat_at TIMESTAMPTZ;

ALTER TABLE outbox ADD COLUMN available_at TIMESTAMPTZ NOT NULL DEFAULT now();
CREATE INDEX outbox_due_idx ON outbox (available_at) WHERE sent_at IS NULL;
CREATE INDEX outbox_job_id_idx ON outbox (job_id);

-- Jobs waiting for a retry whose message sits in an old delay queue (or is already lost): due
-- now, with a message of their own. Should the old one still arrive, the job's state absorbs it.
UPDATE jobs SET status = 'retrying', next_attempt_at = now() WHERE status = 'failed';
INSERT INTO outbox (job_id, kind, request_id)
    SELECT id, kind, request_id FROM jobs WHERE status = 'retrying';
SELECT pg_notify('backbeat_outbox', '');

-- The sweeper's candidates: work that is pending.
CREATE INDEX jobs_pending_idx ON jobs (kind)
    WHERE status IN ('queued', 'running', 'retrying', 'failed');

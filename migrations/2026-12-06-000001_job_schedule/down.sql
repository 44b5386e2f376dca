DROP INDEX jobs_pending_idx;
UPDATE jobs SET status = 'failed' WHERE status = 'retrying';
DROP INDEX outbox_job_id_idx;
DROP INDEX outbox_due_idx;
ALTER TABLE outbox DROP COLUMN available_at;
ALTER TABLE jobs DROP COLUMN heartbeat_at;
ALTER TABLE jobs DROP COLUMN next_attempt_at;
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead'));

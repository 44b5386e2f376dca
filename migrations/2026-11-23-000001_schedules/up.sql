-- Periodic tasks run by the workers' scheduler. A worker fires a task only while holding its
-- advisory lock and only when next_due_at has passed, then moves next_due_at on in the same
-- transaction: one tick fires once, whatever the number of workers, and a tick that fell due
-- while every worker was down fires at the next start.
CREATE TABLE schedules (
    name        TEXT PRIMARY KEY,
    next_due_at TIMESTAMPTZ NOT NULL,
    last_run_at TIMESTAMPTZ,
    last_run_by TEXT,
    runs        BIGINT NOT NULL DEFAULT 0
);

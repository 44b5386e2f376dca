ALTER TABLE outbox DROP COLUMN trace_parent;
ALTER TABLE jobs DROP COLUMN trace_parent;

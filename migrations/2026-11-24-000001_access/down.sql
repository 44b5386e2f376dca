DROP TABLE audit_events;
DROP TABLE api_keys;
DROP INDEX users_suspended_idx;
ALTER TABLE users DROP COLUMN access_changed_at, DROP COLUMN status;

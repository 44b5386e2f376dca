-- What the retention job deletes, found by age without scanning the tables.
CREATE INDEX jobs_succeeded_idx ON jobs (finished_at) WHERE status = 'succeeded';
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX sent_emails_sent_at_idx ON sent_emails (sent_at);

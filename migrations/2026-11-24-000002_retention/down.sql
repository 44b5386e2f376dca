DROP INDEX sent_emails_sent_at_idx;
DROP INDEX outbox_sent_idx;
DROP INDEX jobs_succeeded_idx;

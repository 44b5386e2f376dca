-- A DSR report in several files: each file is uploaded as a report of its own, waits for the
-- others, and is imported with them into the report of its file 1 (`part_of`).
ALTER TABLE usage_reports
    DROP CONSTRAINT usage_reports_status_check,
    ADD CONSTRAINT usage_reports_status_check
        CHECK (status IN ('queued', 'importing', 'waiting', 'imported', 'failed')),
    ADD COLUMN message_id TEXT,
    ADD COLUMN file_number INTEGER,
    ADD COLUMN number_of_files INTEGER,
    ADD COLUMN part_of TEXT REFERENCES usage_reports (id) ON DELETE CASCADE;

-- One file per number in a platform's report.
CREATE UNIQUE INDEX usage_reports_file_of_message_key
    ON usage_reports (platform_id, period, message_id, file_number)
    WHERE status <> 'failed' AND message_id IS NOT NULL;

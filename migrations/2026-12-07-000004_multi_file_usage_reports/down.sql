DROP INDEX usage_reports_file_of_message_key;
DELETE FROM usage_reports WHERE status = 'waiting';
ALTER TABLE usage_reports
    DROP COLUMN part_of,
    DROP COLUMN number_of_files,
    DROP COLUMN file_number,
    DROP COLUMN message_id,
    DROP CONSTRAINT usage_reports_status_check,
    ADD CONSTRAINT usage_reports_status_check
        CHECK (status IN ('queued', 'importing', 'imported', 'failed'));

DROP TABLE acknowledgement_files;
ALTER TABLE distribution_events DROP COLUMN platform_status, DROP COLUMN file;
ALTER TABLE distributions
    DROP COLUMN platform_status,
    DROP COLUMN platform_status_at,
    DROP COLUMN platform_error_code,
    DROP COLUMN platform_error,
    DROP COLUMN platform_file;
DROP TABLE distribution_messages;
DROP TABLE delivery_batches;
ALTER TABLE platforms
    DROP COLUMN delivery_profile,
    DROP COLUMN batch_max_releases,
    DROP COLUMN acknowledgement_folder;

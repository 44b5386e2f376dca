UPDATE platforms SET delivery_method = 'folder' WHERE delivery_method = 'sftp';
ALTER TABLE platforms
    DROP CONSTRAINT platforms_sftp_complete,
    DROP COLUMN sftp_host,
    DROP COLUMN sftp_port,
    DROP COLUMN sftp_username,
    DROP COLUMN sftp_host_key,
    DROP CONSTRAINT platforms_delivery_method_check,
    ADD CONSTRAINT platforms_delivery_method_check CHECK (delivery_method IN ('folder'));

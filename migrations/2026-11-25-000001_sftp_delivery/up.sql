-- A platform's SFTP server: where it is, who backbeat logs in as, and the host key it must show
-- (SHA-256 fingerprint). Kept when a platform goes back to its folder, so switching is one field.
ALTER TABLE platforms
    DROP CONSTRAINT platforms_delivery_method_check,
    ADD CONSTRAINT platforms_delivery_method_check CHECK (delivery_method IN ('folder', 'sftp')),
    ADD COLUMN sftp_host TEXT,
    ADD COLUMN sftp_port INTEGER NOT NULL DEFAULT 22 CHECK (sftp_port BETWEEN 1 AND 65535),
    ADD COLUMN sftp_username TEXT,
    ADD COLUMN sftp_host_key TEXT,
    ADD CONSTRAINT platforms_sftp_complete CHECK (
        delivery_method <> 'sftp'
        OR (sftp_host IS NOT NULL AND sftp_username IS NOT NULL AND sftp_host_key IS NOT NULL)
    );

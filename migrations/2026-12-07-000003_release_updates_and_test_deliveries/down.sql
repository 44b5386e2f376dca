DROP INDEX distributions_test_idx;
DELETE FROM distributions WHERE test;
DROP INDEX distributions_live_key;
CREATE UNIQUE INDEX distributions_live_key ON distributions (album_id, platform_id)
    WHERE status NOT IN ('cancelled', 'taken_down');
ALTER TABLE distributions DROP COLUMN test;
ALTER TABLE platforms DROP COLUMN onboarding;
DELETE FROM distribution_messages WHERE kind = 'update';
ALTER TABLE distribution_messages
    DROP COLUMN test,
    DROP COLUMN content_sha256,
    DROP CONSTRAINT distribution_messages_kind_check,
    ADD CONSTRAINT distribution_messages_kind_check CHECK (kind IN ('new', 'takedown'));

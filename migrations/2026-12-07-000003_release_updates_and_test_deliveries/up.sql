-- Metadata updates: a delivered release sent again (same release id, a new message id) whenever
-- what its message says changes. What it said is kept as a checksum of the message with its
-- header left out, so that re-sending an unchanged release is a no-op.
ALTER TABLE distribution_messages
    DROP CONSTRAINT distribution_messages_kind_check,
    ADD CONSTRAINT distribution_messages_kind_check CHECK (kind IN ('new', 'update', 'takedown')),
    -- NULL for messages recorded before checksums were kept: the next change is sent whatever it is.
    ADD COLUMN content_sha256 TEXT,
    -- A test message (MessageControlType TestMessage); a batch of them is flagged as a test.
    ADD COLUMN test BOOLEAN NOT NULL DEFAULT false;

-- Onboarding: everything sent to the platform is a test message until an admin puts it live.
ALTER TABLE platforms ADD COLUMN onboarding BOOLEAN NOT NULL DEFAULT false;

-- A test delivery an admin sent to a platform: delivered like any other, but never live, so it
-- leaves the release's own distributions (and their one-live-per-platform rule) alone.
ALTER TABLE distributions ADD COLUMN test BOOLEAN NOT NULL DEFAULT false;
DROP INDEX distributions_live_key;
CREATE UNIQUE INDEX distributions_live_key ON distributions (album_id, platform_id)
    WHERE status NOT IN ('cancelled', 'taken_down') AND NOT test;
CREATE INDEX distributions_test_idx ON distributions (platform_id, created_at, id) WHERE test;

-- DDEX ERN choreography (ECHO's SFTP/folder batch profile): how a platform takes packages and
-- where it answers with acknowledgements.
ALTER TABLE platforms
    -- `release_by_release`: each package is announced by its own appearance; `batch`: packages
    -- go into a batch folder that a BatchComplete manifest closes.
    ADD COLUMN delivery_profile TEXT NOT NULL DEFAULT 'release_by_release'
        CHECK (delivery_profile IN ('release_by_release', 'batch')),
    ADD COLUMN batch_max_releases INTEGER NOT NULL DEFAULT 100
        CHECK (batch_max_releases BETWEEN 1 AND 10000),
    -- Where the platform writes its acknowledgements, under its delivery folder.
    ADD COLUMN acknowledgement_folder TEXT NOT NULL DEFAULT 'acknowledgements';

-- A batch of one platform, named by its creation time (YYYYMMDDhhmmssnnn, as ECHO asks).
-- Messages are assigned to it before any package is written, so that a worker killed mid-batch
-- fills the same batch again; it is complete once its manifest is in place.
CREATE TABLE delivery_batches (
    platform_id  TEXT NOT NULL REFERENCES platforms (id),
    id           TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    PRIMARY KEY (platform_id, id)
);

-- Every DDEX message sent about a distribution: what acknowledgements are matched against.
CREATE TABLE distribution_messages (
    message_id      TEXT PRIMARY KEY,
    distribution_id TEXT NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    platform_id     TEXT NOT NULL REFERENCES platforms (id),
    kind            TEXT NOT NULL CHECK (kind IN ('new', 'takedown')),
    -- The package's folder at the platform (inside its batch's, for the batch profile).
    package         TEXT NOT NULL,
    -- The release id the message carries (ICPN), which acknowledgements name too.
    release_icpn    TEXT NOT NULL,
    xml_path        TEXT NOT NULL,
    xml_sha256      TEXT NOT NULL,
    batch_id        TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at    TIMESTAMPTZ,
    FOREIGN KEY (platform_id, batch_id) REFERENCES delivery_batches (platform_id, id)
);
CREATE INDEX distribution_messages_distribution_idx ON distribution_messages (distribution_id);
CREATE INDEX distribution_messages_batch_idx ON distribution_messages (platform_id, batch_id)
    WHERE batch_id IS NOT NULL;

-- What the platform did with the release, from its latest acknowledgement.
ALTER TABLE distributions
    ADD COLUMN platform_status TEXT
        CHECK (platform_status IN ('acknowledged', 'ingested', 'rejected')),
    ADD COLUMN platform_status_at TIMESTAMPTZ,
    ADD COLUMN platform_error_code TEXT,
    ADD COLUMN platform_error TEXT,
    ADD COLUMN platform_file TEXT;

ALTER TABLE distribution_events
    ADD COLUMN platform_status TEXT,
    ADD COLUMN file TEXT;

-- Every acknowledgement file collected from a platform, applied or refused (malformed, naming
-- unknown messages, or a repeat of one applied), with its content: never lost, never applied
-- twice.
CREATE TABLE acknowledgement_files (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    content     BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The acknowledgement's own MessageId, when it could be read.
    message_id  TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('applied', 'refused')),
    code        TEXT,
    reason      TEXT,
    releases    INTEGER NOT NULL DEFAULT 0
);
-- The same file seen again (a worker killed before it archived it) is not recorded twice.
CREATE UNIQUE INDEX acknowledgement_files_seen_key ON acknowledgement_files (platform_id, name, sha256);
CREATE UNIQUE INDEX acknowledgement_files_applied_key ON acknowledgement_files (platform_id, message_id)
    WHERE outcome = 'applied';
CREATE INDEX acknowledgement_files_outcome_idx ON acknowledgement_files (outcome, received_at, id);

-- The messages already sent, so that a platform's acknowledgement of them is matched too.
INSERT INTO distribution_messages
    (message_id, distribution_id, platform_id, kind, package, release_icpn, xml_path, xml_sha256,
     created_at, delivered_at)
SELECT d.message_id, d.id, d.platform_id, 'new',
       coalesce(a.upc, 'unknown') || '_' || d.message_id, coalesce(a.upc, ''),
       coalesce(a.upc, 'unknown') || '.xml', '',
       coalesce(d.message_created_at, d.created_at), d.delivered_at
FROM distributions d JOIN albums a ON a.id = d.album_id
WHERE d.message_id IS NOT NULL AND d.delivered_at IS NOT NULL;

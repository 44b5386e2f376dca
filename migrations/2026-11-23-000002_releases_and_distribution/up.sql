-- Releases and their delivery to streaming platforms.

-- Where bulk summaries and statements go. Unique whatever the case; openMusic accounts have none.
ALTER TABLE users ADD COLUMN email TEXT;
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE artists (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    bio           TEXT,
    external_urls TEXT[] NOT NULL DEFAULT '{}',
    -- Set by the verification flow, never by the owner.
    verified      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX artists_owner_idx ON artists (owner_id, created_at, id);
SELECT diesel_manage_updated_at('artists');

-- Release metadata. Codes are stored normalised (digits and upper-case letters only).
ALTER TABLE albums
    ADD COLUMN artist_id             TEXT REFERENCES artists (id) ON DELETE SET NULL,
    ADD COLUMN upc                   TEXT,
    ADD COLUMN label                 TEXT,
    ADD COLUMN genre                 TEXT,
    ADD COLUMN release_date          DATE,
    ADD COLUMN original_release_date DATE,
    ADD COLUMN p_line                TEXT,
    ADD COLUMN c_line                TEXT,
    -- The API's list: ["Worldwide"], country codes, or "Worldwide" and "-CODE" exclusions.
    ADD COLUMN territories           TEXT[] NOT NULL DEFAULT '{Worldwide}',
    -- NULL: derived from the tracks when delivered.
    ADD COLUMN release_type          TEXT CHECK (release_type IN ('Single', 'EP', 'Album'));
CREATE UNIQUE INDEX albums_upc_key ON albums (upc);
CREATE INDEX albums_artist_id_idx ON albums (artist_id);

ALTER TABLE songs
    ADD COLUMN artist_id    TEXT REFERENCES artists (id) ON DELETE SET NULL,
    ADD COLUMN isrc         TEXT,
    ADD COLUMN iswc         TEXT,
    ADD COLUMN explicit     BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN track_number INTEGER CHECK (track_number > 0),
    ADD COLUMN disc_number  INTEGER CHECK (disc_number > 0),
    -- [{"name", "role"}]
    ADD COLUMN contributors JSONB NOT NULL DEFAULT '[]';
CREATE UNIQUE INDEX songs_isrc_key ON songs (isrc);
CREATE UNIQUE INDEX songs_album_track_key ON songs (album_id, COALESCE(disc_number, 1), track_number)
    WHERE album_id IS NOT NULL AND track_number IS NOT NULL;
CREATE INDEX songs_artist_id_idx ON songs (artist_id);

-- A track's master audio, as its header describes it; replaced whole by a new upload.
CREATE TABLE audio_files (
    song_id     TEXT PRIMARY KEY REFERENCES songs (id) ON DELETE CASCADE,
    storage_key TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('wav', 'flac')),
    sample_rate INTEGER NOT NULL,
    bit_depth   INTEGER NOT NULL,
    channels    INTEGER NOT NULL,
    frames      BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    md5         TEXT NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A release's delivery artwork (the openMusic cover stays separate).
CREATE TABLE artworks (
    album_id    TEXT PRIMARY KEY REFERENCES albums (id) ON DELETE CASCADE,
    storage_key TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('jpeg', 'png')),
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    bytes       BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    md5         TEXT NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Streaming platforms (DSPs) and how packages reach them.
CREATE TABLE platforms (
    id              TEXT PRIMARY KEY,
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    -- The platform's DDEX party id, the MessageRecipient of every message sent to it.
    party_id        TEXT NOT NULL CHECK (party_id ~ '^PADPIDA[A-Za-z0-9]+$'),
    active          BOOLEAN NOT NULL DEFAULT true,
    delivery_method TEXT NOT NULL DEFAULT 'folder' CHECK (delivery_method IN ('folder')),
    -- Under the configured delivery root; the code when NULL.
    delivery_folder TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT platforms_code_key UNIQUE (code)
);
SELECT diesel_manage_updated_at('platforms');

-- Each platform's real DDEX party id is assigned by the platform when a distributor signs up;
-- these placeholders are well-formed and are replaced with PATCH /platforms/{id}.
INSERT INTO platforms (id, code, name, party_id)
SELECT 'platform-' || substr(md5(code), 1, 16), code, name, 'PADPIDA' || upper(replace(code, '_', ''))
FROM (VALUES
    ('spotify', 'Spotify'),
    ('apple_music', 'Apple Music'),
    ('amazon_music', 'Amazon Music'),
    ('youtube_music', 'YouTube Music'),
    ('deezer', 'Deezer'),
    ('tidal', 'TIDAL'),
    ('soundcloud', 'SoundCloud'),
    ('pandora', 'Pandora'),
    ('audiomack', 'Audiomack'),
    ('anghami', 'Anghami')
) AS seed (code, name);

-- One release delivered to one platform. At most one live distribution per release and
-- platform; cancelled and taken-down ones stay as history.
CREATE TABLE distributions (
    id                 TEXT PRIMARY KEY,
    album_id           TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    platform_id        TEXT NOT NULL REFERENCES platforms (id),
    -- The release's owner: whose distribution this is.
    owner_id           TEXT REFERENCES users (id) ON DELETE SET NULL,
    status             TEXT NOT NULL CHECK (status IN ('scheduled', 'queued', 'delivering',
                       'delivered', 'taken_down', 'failed', 'cancelled')),
    -- When the deals start; a future time keeps it scheduled until then.
    release_at         TIMESTAMPTZ NOT NULL,
    -- The delivery message, fixed when first queued so that retries rebuild the same package.
    message_id         TEXT,
    message_created_at TIMESTAMPTZ,
    delivered_at       TIMESTAMPTZ,
    -- When a takedown was asked for; its message ends the deals at this time.
    takedown_at        TIMESTAMPTZ,
    taken_down_at      TIMESTAMPTZ,
    error              TEXT,
    -- The last job acting on it (delivery or takedown).
    job_id             TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX distributions_live_key ON distributions (album_id, platform_id)
    WHERE status NOT IN ('cancelled', 'taken_down');
CREATE INDEX distributions_owner_idx ON distributions (owner_id, created_at, id);
CREATE INDEX distributions_due_idx ON distributions (release_at) WHERE status = 'scheduled';
SELECT diesel_manage_updated_at('distributions');

-- Every status a distribution went through.
CREATE TABLE distribution_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distribution_id TEXT NOT NULL REFERENCES distributions (id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    note            TEXT,
    at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX distribution_events_distribution_idx ON distribution_events (distribution_id, id);

-- The units of work of a job that has many (bulk distribution: one per release and platform),
-- each with its outcome once done; a job that restarts skips the finished ones.
CREATE TABLE job_items (
    job_id          TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    chunk           INTEGER NOT NULL,
    album_id        TEXT NOT NULL,
    platform_id     TEXT NOT NULL,
    outcome         TEXT CHECK (outcome IN ('delivered', 'failed', 'skipped')),
    distribution_id TEXT,
    message         TEXT,
    -- Readiness problems of a release that was not ready.
    problems        JSONB,
    finished_at     TIMESTAMPTZ,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX job_items_pending_idx ON job_items (job_id, chunk) WHERE outcome IS NULL;

-- Videos hosted on Wistia, synced into a local catalog; tags; the sync's resumable passes.

CREATE TABLE videos (
    id TEXT PRIMARY KEY,
    hashed_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    duration_seconds DOUBLE PRECISION,
    status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
    archived BOOLEAN NOT NULL DEFAULT false,
    thumbnail_url TEXT,
    thumbnail_width INTEGER,
    thumbnail_height INTEGER,
    project_name TEXT,
    project_hashed_id TEXT,
    wistia_created_at TIMESTAMPTZ NOT NULL,
    -- Wistia's `updated`: a listed media with the same one is unchanged and not written again.
    wistia_updated_at TIMESTAMPTZ NOT NULL,
    plays BIGINT,
    visitors BIGINT,
    stats_refreshed_at TIMESTAMPTZ,
    -- An admin's choice. Archived and removed videos are hidden whatever it says.
    visibility TEXT NOT NULL DEFAULT 'visible' CHECK (visibility IN ('visible', 'hidden')),
    -- A tombstone: gone from Wistia as of a complete sync. Never deleted (tags, links keep
    -- working); a media that comes back clears it.
    removed_at TIMESTAMPTZ,
    -- The last sync pass that listed it: after a complete pass, those below it are checked.
    seen_pass BIGINT NOT NULL,
    shown BOOLEAN NOT NULL GENERATED ALWAYS AS (
        visibility = 'visible' AND NOT archived AND removed_at IS NULL
    ) STORED,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
SELECT diesel_manage_updated_at('videos');
-- Newest first, for admins; the public list and playlist read only shown, ready ones.
CREATE INDEX videos_listing ON videos (wistia_created_at DESC, id DESC);
CREATE INDEX videos_public_listing ON videos (wistia_created_at DESC, id DESC)
    WHERE shown AND status = 'ready';
CREATE INDEX videos_stats_due ON videos (stats_refreshed_at NULLS FIRST, id)
    WHERE status = 'ready' AND removed_at IS NULL;
CREATE INDEX videos_unseen ON videos (seen_pass) WHERE removed_at IS NULL;

CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The name case-folded (Unicode lower case): names are unique regardless of case.
    folded TEXT NOT NULL UNIQUE,
    -- Where the tag was first seen; a Wistia tag is also a tag admins may use locally.
    origin TEXT NOT NULL CHECK (origin IN ('local', 'wistia')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A video's tags, by who put them there: a sync replaces only Wistia's, `PUT /videos/{id}/tags`
-- only the local ones.
CREATE TABLE video_tags (
    video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('local', 'wistia')),
    PRIMARY KEY (video_id, tag_id, source)
);
CREATE INDEX video_tags_by_tag ON video_tags (tag_id, video_id);

-- One pass through Wistia's medias, resumed by the next sync job after a failure. Only a pass
-- that reached its end removes videos.
CREATE TABLE video_sync_passes (
    id BIGSERIAL PRIMARY KEY,
    -- The job working on it last.
    job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
    phase TEXT NOT NULL DEFAULT 'pages' CHECK (phase IN ('pages', 'stats', 'removals', 'done')),
    next_page INTEGER NOT NULL DEFAULT 1,
    listed INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    stats_refreshed INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX video_sync_passes_one_open ON video_sync_passes ((true)) WHERE finished_at IS NULL;

-- The sync job in flight, if any: a second request joins it instead of starting another.
CREATE TABLE video_sync_state (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL
);
INSERT INTO video_sync_state DEFAULT VALUES;

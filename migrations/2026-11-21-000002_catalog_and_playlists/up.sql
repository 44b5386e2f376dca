-- Trigram indexes make case-insensitive substring search (ILIKE '%...%') on song titles and
-- performers an index scan instead of a sequential scan over every song.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- owner_id is NULL only for rows written anonymously under compat.openmusic_anonymous_catalog.
CREATE TABLE albums (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    year       INTEGER NOT NULL,
    owner_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX albums_owner_id_idx ON albums (owner_id);
SELECT diesel_manage_updated_at('albums');

-- Deleting an album keeps its songs (album_id becomes NULL), so playlists holding them are untouched.
CREATE TABLE songs (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    year       INTEGER NOT NULL,
    genre      TEXT NOT NULL,
    performer  TEXT NOT NULL,
    duration   INTEGER,
    album_id   TEXT REFERENCES albums (id) ON DELETE SET NULL,
    owner_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX songs_album_id_idx ON songs (album_id);
CREATE INDEX songs_owner_id_idx ON songs (owner_id);
CREATE INDEX songs_created_at_id_idx ON songs (created_at, id);
CREATE INDEX songs_title_trgm_idx ON songs USING gin (title gin_trgm_ops);
CREATE INDEX songs_performer_trgm_idx ON songs USING gin (performer gin_trgm_ops);
SELECT diesel_manage_updated_at('songs');

CREATE TABLE playlists (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX playlists_owner_id_idx ON playlists (owner_id);
SELECT diesel_manage_updated_at('playlists');

-- The primary key makes a song appear once per playlist, even under concurrent adds.
CREATE TABLE playlist_songs (
    playlist_id TEXT NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    song_id     TEXT NOT NULL REFERENCES songs (id) ON DELETE CASCADE,
    added_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (playlist_id, song_id)
);
CREATE INDEX playlist_songs_song_id_idx ON playlist_songs (song_id);

CREATE TABLE collaborations (
    id          TEXT PRIMARY KEY,
    playlist_id TEXT NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT collaborations_playlist_user_key UNIQUE (playlist_id, user_id)
);
CREATE INDEX collaborations_user_id_idx ON collaborations (user_id);

-- The song title is kept with the activity so history survives the song's deletion;
-- seq orders activities written in the same microsecond.
CREATE TABLE playlist_activities (
    id          TEXT PRIMARY KEY,
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    playlist_id TEXT NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    song_id     TEXT REFERENCES songs (id) ON DELETE SET NULL,
    song_title  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action      TEXT NOT NULL CHECK (action IN ('add', 'delete')),
    time        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX playlist_activities_playlist_seq_idx ON playlist_activities (playlist_id, seq);

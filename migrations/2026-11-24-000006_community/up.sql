-- Chat rooms and artist verification.

CREATE TABLE rooms (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('public', 'private')),
    owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- An artist's room: at most one per artist, moderated by the artist's owner.
    artist_id TEXT UNIQUE REFERENCES artists (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX rooms_listing ON rooms (created_at, id);

-- Who may read and write a private room (its owner is a member too). Public rooms need none.
CREATE TABLE room_members (
    room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('member', 'moderator')),
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_by_user ON room_members (user_id);

CREATE TABLE chat_messages (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Chosen by the sending client: a resend with the same one is the same message.
    client_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    deleted_at TIMESTAMPTZ,
    deleted_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (room_id, author_id, client_id)
);
-- History, newest first.
CREATE INDEX chat_messages_history ON chat_messages (room_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;

CREATE TABLE message_reactions (
    message_id TEXT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, user_id, emoji)
);

CREATE TABLE artist_verifications (
    id TEXT PRIMARY KEY,
    artist_id TEXT NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    requested_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    profile_url TEXT NOT NULL,
    code TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'checking', 'pending_review', 'failed', 'approved', 'rejected', 'expired')),
    -- Why the check failed, in words for the artist.
    reason TEXT,
    checked_at TIMESTAMPTZ,
    review_note TEXT,
    reviewed_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The daily request limit counts an artist's recent requests.
CREATE INDEX artist_verifications_by_artist ON artist_verifications (artist_id, created_at);
-- Admins' review queue and the expiry task.
CREATE INDEX artist_verifications_by_status ON artist_verifications (status, created_at, id);

// Mirrors migrations/; `schema_matches_migrations` (crates/db/tests) checks it against a migrated database.

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Bytea,
        user_id -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        fullname -> Text,
        role -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    albums (id) {
        id -> Text,
        name -> Text,
        year -> Int4,
        owner_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        cover_key -> Nullable<Text>,
    }
}

diesel::table! {
    songs (id) {
        id -> Text,
        title -> Text,
        year -> Int4,
        genre -> Text,
        performer -> Text,
        duration -> Nullable<Int4>,
        album_id -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    playlists (id) {
        id -> Text,
        name -> Text,
        owner_id -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    playlist_songs (playlist_id, song_id) {
        playlist_id -> Text,
        song_id -> Text,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    collaborations (id) {
        id -> Text,
        playlist_id -> Text,
        user_id -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    playlist_activities (id) {
        id -> Text,
        seq -> Int8,
        playlist_id -> Text,
        song_id -> Nullable<Text>,
        song_title -> Text,
        user_id -> Text,
        action -> Text,
        time -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        max_attempts -> Int4,
        last_error -> Nullable<Text>,
        progress_done -> Int4,
        progress_total -> Int4,
        result -> Nullable<Jsonb>,
        user_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        job_id -> Text,
        kind -> Text,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sent_emails (idempotency_key) {
        idempotency_key -> Text,
        message_id -> Text,
        recipient -> Text,
        sent_at -> Timestamptz,
    }
}

diesel::table! {
    album_likes (album_id, user_id) {
        album_id -> Text,
        user_id -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(albums -> users (owner_id));
diesel::joinable!(outbox -> jobs (job_id));
diesel::joinable!(album_likes -> albums (album_id));
diesel::joinable!(songs -> albums (album_id));
diesel::joinable!(playlists -> users (owner_id));
diesel::joinable!(playlist_songs -> playlists (playlist_id));
diesel::joinable!(playlist_songs -> songs (song_id));
diesel::joinable!(collaborations -> playlists (playlist_id));
diesel::joinable!(playlist_activities -> playlists (playlist_id));

diesel::allow_tables_to_appear_in_same_query!(
    albums,
    songs,
    playlists,
    playlist_songs,
    collaborations,
    playlist_activities,
    users,
    refresh_tokens,
    jobs,
    outbox,
    sent_emails,
    album_likes,
    schedules,
);

diesel::table! {
    schedules (name) {
        name -> Text,
        next_due_at -> Timestamptz,
        last_run_at -> Nullable<Timestamptz>,
        last_run_by -> Nullable<Text>,
        runs -> Int8,
    }
}

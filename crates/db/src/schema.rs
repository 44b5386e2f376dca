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
        email -> Nullable<Text>,
        status -> Text,
        access_changed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        prefix -> Text,
        secret_hash -> Bytea,
        scopes -> Array<Text>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        actor_id -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(api_keys -> users (user_id));

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
        artist_id -> Nullable<Text>,
        upc -> Nullable<Text>,
        label -> Nullable<Text>,
        genre -> Nullable<Text>,
        release_date -> Nullable<Date>,
        original_release_date -> Nullable<Date>,
        p_line -> Nullable<Text>,
        c_line -> Nullable<Text>,
        territories -> Array<Text>,
        release_type -> Nullable<Text>,
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
        artist_id -> Nullable<Text>,
        isrc -> Nullable<Text>,
        iswc -> Nullable<Text>,
        explicit -> Bool,
        track_number -> Nullable<Int4>,
        disc_number -> Nullable<Int4>,
        contributors -> Jsonb,
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
        next_attempt_at -> Nullable<Timestamptz>,
        heartbeat_at -> Nullable<Timestamptz>,
        trace_parent -> Nullable<Text>,
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
        available_at -> Timestamptz,
        trace_parent -> Nullable<Text>,
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

diesel::table! {
    artists (id) {
        id -> Text,
        owner_id -> Text,
        name -> Text,
        bio -> Nullable<Text>,
        external_urls -> Array<Text>,
        verified -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    audio_files (song_id) {
        song_id -> Text,
        storage_key -> Text,
        format -> Text,
        sample_rate -> Int4,
        bit_depth -> Int4,
        channels -> Int4,
        frames -> Int8,
        bytes -> Int8,
        sha256 -> Text,
        md5 -> Text,
        uploaded_at -> Timestamptz,
    }
}

diesel::table! {
    artworks (album_id) {
        album_id -> Text,
        storage_key -> Text,
        format -> Text,
        width -> Int4,
        height -> Int4,
        bytes -> Int8,
        sha256 -> Text,
        md5 -> Text,
        uploaded_at -> Timestamptz,
    }
}

diesel::table! {
    platforms (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        party_id -> Text,
        active -> Bool,
        delivery_method -> Text,
        delivery_folder -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        fee_bps -> Nullable<Int4>,
        sftp_host -> Nullable<Text>,
        sftp_port -> Int4,
        sftp_username -> Nullable<Text>,
        sftp_host_key -> Nullable<Text>,
        delivery_profile -> Text,
        batch_max_releases -> Int4,
        acknowledgement_folder -> Text,
        onboarding -> Bool,
    }
}

diesel::table! {
    distributions (id) {
        id -> Text,
        album_id -> Text,
        platform_id -> Text,
        owner_id -> Nullable<Text>,
        status -> Text,
        release_at -> Timestamptz,
        message_id -> Nullable<Text>,
        message_created_at -> Nullable<Timestamptz>,
        delivered_at -> Nullable<Timestamptz>,
        takedown_at -> Nullable<Timestamptz>,
        taken_down_at -> Nullable<Timestamptz>,
        error -> Nullable<Text>,
        job_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        platform_status -> Nullable<Text>,
        platform_status_at -> Nullable<Timestamptz>,
        platform_error_code -> Nullable<Text>,
        platform_error -> Nullable<Text>,
        platform_file -> Nullable<Text>,
        test -> Bool,
    }
}

diesel::table! {
    distribution_events (id) {
        id -> Int8,
        distribution_id -> Text,
        status -> Text,
        note -> Nullable<Text>,
        at -> Timestamptz,
        platform_status -> Nullable<Text>,
        file -> Nullable<Text>,
    }
}

diesel::table! {
    job_items (job_id, seq) {
        job_id -> Text,
        seq -> Int4,
        chunk -> Int4,
        album_id -> Text,
        platform_id -> Text,
        outcome -> Nullable<Text>,
        distribution_id -> Nullable<Text>,
        message -> Nullable<Text>,
        problems -> Nullable<Jsonb>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(albums -> artists (artist_id));
diesel::joinable!(audio_files -> songs (song_id));
diesel::joinable!(artworks -> albums (album_id));
diesel::joinable!(distributions -> albums (album_id));
diesel::joinable!(distributions -> platforms (platform_id));
diesel::joinable!(distribution_events -> distributions (distribution_id));
diesel::joinable!(job_items -> jobs (job_id));

diesel::table! {
    delivery_batches (platform_id, id) {
        platform_id -> Text,
        id -> Text,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    distribution_messages (message_id) {
        message_id -> Text,
        distribution_id -> Text,
        platform_id -> Text,
        kind -> Text,
        package -> Text,
        release_icpn -> Text,
        xml_path -> Text,
        xml_sha256 -> Text,
        batch_id -> Nullable<Text>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        content_sha256 -> Nullable<Text>,
        test -> Bool,
    }
}

diesel::table! {
    acknowledgement_files (id) {
        id -> Int8,
        platform_id -> Text,
        name -> Text,
        sha256 -> Text,
        content -> Bytea,
        received_at -> Timestamptz,
        message_id -> Nullable<Text>,
        outcome -> Text,
        code -> Nullable<Text>,
        reason -> Nullable<Text>,
        releases -> Int4,
    }
}

diesel::joinable!(distribution_messages -> distributions (distribution_id));

diesel::allow_tables_to_appear_in_same_query!(
    delivery_batches,
    distribution_messages,
    acknowledgement_files,
    albums,
    rooms,
    room_members,
    chat_messages,
    message_reactions,
    artist_verifications,
    songs,
    playlists,
    playlist_songs,
    collaborations,
    playlist_activities,
    users,
    refresh_tokens,
    api_keys,
    audit_events,
    jobs,
    outbox,
    sent_emails,
    album_likes,
    schedules,
    artists,
    audio_files,
    artworks,
    platforms,
    distributions,
    distribution_events,
    job_items,
    usage_reports,
    usage_rejections,
    usage_lines,
    usage_by_song,
    usage_by_owner,
    usage_by_owner_song,
    payees,
    song_splits,
    period_splits,
    fx_rates,
    advances,
    advance_albums,
    royalty_statement_advances,
    royalty_runs,
    royalty_statements,
    royalty_shares,
    royalty_run_lines,
    payout_batches,
    payout_payments,
    videos,
    tags,
    video_tags,
    video_sync_passes,
    video_sync_state,
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

diesel::table! {
    usage_reports (id) {
        id -> Text,
        seq -> Int8,
        platform_id -> Text,
        period -> Date,
        format -> Text,
        storage_key -> Text,
        file_name -> Nullable<Text>,
        file_bytes -> Int8,
        file_sha256 -> Text,
        status -> Text,
        job_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        error -> Nullable<Text>,
        lines -> Nullable<Int8>,
        matched -> Nullable<Int8>,
        unmatched -> Nullable<Int8>,
        rejected -> Nullable<Int8>,
        totals -> Nullable<Jsonb>,
        rejected_by_reason -> Nullable<Jsonb>,
        details -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        message_id -> Nullable<Text>,
        file_number -> Nullable<Int4>,
        number_of_files -> Nullable<Int4>,
        part_of -> Nullable<Text>,
    }
}

diesel::table! {
    usage_rejections (report_id, line) {
        report_id -> Text,
        line -> Int8,
        field -> Nullable<Text>,
        reason -> Text,
    }
}

diesel::table! {
    /// Partitioned by period, then by report; written by the import's COPY, not through diesel.
    usage_lines (report_id, line) {
        period -> Date,
        report_id -> Text,
        line -> Int4,
        transaction_id -> Text,
        song_id -> Nullable<Text>,
        isrc -> Nullable<Text>,
        upc -> Nullable<Text>,
        title -> Nullable<Text>,
        artist -> Nullable<Text>,
        territory -> Text,
        use_type -> Text,
        units -> Int8,
        revenue -> Numeric,
        currency -> Text,
        usage_date -> Nullable<Date>,
    }
}

diesel::table! {
    usage_by_song (song_id, period, platform_id, territory, currency) {
        song_id -> Text,
        period -> Date,
        platform_id -> Text,
        territory -> Text,
        currency -> Text,
        units -> Int8,
        revenue -> Numeric,
    }
}

diesel::table! {
    usage_by_owner (owner_id, period, platform_id, territory, currency) {
        owner_id -> Text,
        period -> Date,
        platform_id -> Text,
        territory -> Text,
        currency -> Text,
        units -> Int8,
        revenue -> Numeric,
    }
}

diesel::table! {
    usage_by_owner_song (owner_id, period, song_id, currency) {
        owner_id -> Text,
        period -> Date,
        song_id -> Text,
        currency -> Text,
        units -> Int8,
        revenue -> Numeric,
    }
}

diesel::table! {
    payees (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        email -> Nullable<Text>,
        created_at -> Timestamptz,
        payout_threshold -> Nullable<Numeric>,
    }
}

diesel::table! {
    song_splits (song_id, payee_id) {
        song_id -> Text,
        payee_id -> Text,
        share_bps -> Int4,
    }
}

diesel::table! {
    period_splits (period, song_id, payee_id) {
        period -> Date,
        song_id -> Text,
        payee_id -> Text,
        share_bps -> Int4,
    }
}

diesel::table! {
    fx_rates (period, currency) {
        period -> Date,
        currency -> Text,
        rate -> Numeric,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    advances (id) {
        id -> Text,
        payee_id -> Text,
        amount -> Numeric,
        currency -> Text,
        period -> Date,
        note -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    advance_albums (advance_id, album_id) {
        advance_id -> Text,
        album_id -> Text,
    }
}

diesel::table! {
    royalty_statement_advances (statement_id, advance_id) {
        statement_id -> Text,
        advance_id -> Text,
        position -> Int4,
        opening -> Numeric,
        advanced -> Numeric,
        recouped -> Numeric,
        closing -> Numeric,
    }
}

diesel::table! {
    royalty_runs (id) {
        id -> Text,
        period -> Date,
        status -> Text,
        base_currency -> Text,
        job_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        supersedes -> Nullable<Text>,
        result -> Nullable<Jsonb>,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    royalty_statements (id) {
        id -> Text,
        run_id -> Text,
        period -> Date,
        payee_id -> Text,
        currency -> Text,
        opening_balance -> Numeric,
        gross -> Numeric,
        fee -> Numeric,
        earnings -> Numeric,
        advances -> Numeric,
        advances_recouped -> Numeric,
        closing_balance -> Numeric,
        payable -> Numeric,
        email -> Nullable<Text>,
        csv_sha256 -> Nullable<Text>,
        created_at -> Timestamptz,
        approved_at -> Nullable<Timestamptz>,
        approved_by -> Nullable<Text>,
    }
}

diesel::table! {
    payout_batches (id) {
        id -> Text,
        status -> Text,
        currency -> Text,
        total -> Numeric,
        payments -> Int4,
        created_by -> Nullable<Text>,
        created_at -> Timestamptz,
        paid_by -> Nullable<Text>,
        paid_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    payout_payments (batch_id, payee_id) {
        batch_id -> Text,
        statement_id -> Text,
        payee_id -> Text,
        period -> Date,
        email -> Nullable<Text>,
        amount -> Numeric,
        currency -> Text,
        reference -> Text,
        reversed_at -> Nullable<Timestamptz>,
        reversed_by -> Nullable<Text>,
        reversal_reason -> Nullable<Text>,
    }
}

diesel::table! {
    royalty_shares (statement_id, song_id) {
        statement_id -> Text,
        song_id -> Text,
        title -> Text,
        isrc -> Nullable<Text>,
        song_net -> Numeric,
        share_bps -> Int4,
        amount -> Numeric,
    }
}

diesel::table! {
    royalty_run_lines (run_id, song_id, platform_id, territory) {
        run_id -> Text,
        song_id -> Text,
        platform_id -> Text,
        territory -> Text,
        units -> Int8,
        gross -> Numeric,
        fee -> Numeric,
        net -> Numeric,
    }
}

diesel::joinable!(usage_reports -> platforms (platform_id));
diesel::joinable!(usage_rejections -> usage_reports (report_id));
diesel::joinable!(song_splits -> payees (payee_id));
diesel::joinable!(song_splits -> songs (song_id));
diesel::joinable!(advances -> payees (payee_id));
diesel::joinable!(advance_albums -> advances (advance_id));
diesel::joinable!(royalty_statement_advances -> advances (advance_id));
diesel::joinable!(royalty_statement_advances -> royalty_statements (statement_id));
diesel::joinable!(royalty_statements -> royalty_runs (run_id));
diesel::joinable!(royalty_statements -> payees (payee_id));
diesel::joinable!(royalty_shares -> royalty_statements (statement_id));
diesel::joinable!(payout_payments -> payout_batches (batch_id));
diesel::joinable!(payout_payments -> royalty_statements (statement_id));

diesel::table! {
    rooms (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        owner_id -> Text,
        artist_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    room_members (room_id, user_id) {
        room_id -> Text,
        user_id -> Text,
        role -> Text,
        added_at -> Timestamptz,
    }
}

diesel::table! {
    chat_messages (id) {
        id -> Text,
        room_id -> Text,
        author_id -> Text,
        client_id -> Text,
        body -> Text,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        deleted_by -> Nullable<Text>,
    }
}

diesel::table! {
    message_reactions (message_id, user_id, emoji) {
        message_id -> Text,
        user_id -> Text,
        emoji -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    artist_verifications (id) {
        id -> Text,
        artist_id -> Text,
        requested_by -> Text,
        profile_url -> Text,
        code -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        checked_at -> Nullable<Timestamptz>,
        review_note -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamptz>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(room_members -> rooms (room_id));
diesel::joinable!(chat_messages -> rooms (room_id));
diesel::joinable!(message_reactions -> chat_messages (message_id));
diesel::joinable!(artist_verifications -> artists (artist_id));

diesel::table! {
    videos (id) {
        id -> Text,
        hashed_id -> Text,
        name -> Text,
        description -> Text,
        duration_seconds -> Nullable<Float8>,
        status -> Text,
        archived -> Bool,
        thumbnail_url -> Nullable<Text>,
        thumbnail_width -> Nullable<Int4>,
        thumbnail_height -> Nullable<Int4>,
        project_name -> Nullable<Text>,
        project_hashed_id -> Nullable<Text>,
        wistia_created_at -> Timestamptz,
        wistia_updated_at -> Timestamptz,
        plays -> Nullable<Int8>,
        visitors -> Nullable<Int8>,
        stats_refreshed_at -> Nullable<Timestamptz>,
        visibility -> Text,
        removed_at -> Nullable<Timestamptz>,
        seen_pass -> Int8,
        /// Generated: visible, not archived, not removed.
        shown -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tags (id) {
        id -> Text,
        name -> Text,
        folded -> Text,
        origin -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    video_tags (video_id, tag_id, source) {
        video_id -> Text,
        tag_id -> Text,
        source -> Text,
    }
}

diesel::table! {
    video_sync_passes (id) {
        id -> Int8,
        job_id -> Nullable<Text>,
        phase -> Text,
        next_page -> Int4,
        listed -> Int4,
        added -> Int4,
        changed -> Int4,
        unchanged -> Int4,
        stats_refreshed -> Int4,
        removed -> Int4,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    video_sync_state (singleton) {
        singleton -> Bool,
        job_id -> Nullable<Text>,
    }
}

diesel::joinable!(video_tags -> videos (video_id));
diesel::joinable!(video_tags -> tags (tag_id));

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

diesel::allow_tables_to_appear_in_same_query!(refresh_tokens, users);

//! Embedded migrations, applied once under an advisory lock.

use diesel::RunQueryDsl;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Arbitrary, fixed: every backbeat process agrees on it.
const MIGRATION_LOCK_KEY: i64 = 0x6261_636b_6265_6174; // "backbeat"

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("migration failed: {0}")]
    Run(String),
    #[error("migration task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Applies pending migrations and returns the versions applied. Concurrent callers (replicas
/// starting together) serialise on the advisory lock; the later ones find nothing to do.
pub async fn run(database_url: String) -> Result<Vec<String>, MigrationError> {
    // diesel's migration harness is synchronous; keep it off the async threads.
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&database_url)?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn)
            .map_err(|e| MigrationError::Run(e.to_string()))?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| MigrationError::Run(e.to_string()));
        let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn);
        applied
    })
    .await?
}

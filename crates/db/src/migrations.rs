//! Embedded migrations, applied once under an advisory lock.

use backbeat_config::DatabaseSettings;
use diesel::RunQueryDsl;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::tls::Connector;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// A fingerprint of the embedded migrations (see build.rs): names databases migrated by them.
pub const FINGERPRINT: &str = env!("BACKBEAT_MIGRATIONS_HASH");

/// Arbitrary, fixed: every backbeat process agrees on it.
const MIGRATION_LOCK_KEY: i64 = 0x6261_636b_6265_6174; // "backbeat"

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("cannot connect to the database: {0:#}")]
    Settings(#[from] anyhow::Error),
    #[error("migration failed: {0}")]
    Run(String),
    #[error("migration task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Creates the configured database when it does not exist yet (a fresh machine), so that
/// `migrate` is the only set-up step. Needs CREATEDB only in that case.
pub async fn create_database_if_missing(
    settings: &DatabaseSettings,
) -> Result<bool, MigrationError> {
    use diesel_async::SimpleAsyncConnection;
    match crate::pool::connect(&Connector::new(settings, &settings.name)?).await {
        Ok(_) => Ok(false),
        Err(error) if error.to_string().contains("does not exist") => {
            let mut admin = crate::pool::connect(&Connector::new(settings, "postgres")?).await?;
            let name = settings.name.replace('"', "\"\"");
            admin
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .await
                .map_err(|e| MigrationError::Run(format!("cannot create database {name}: {e}")))?;
            Ok(true)
        }
        Err(error) => Err(error.into()),
    }
}

const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(200);

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// Applies pending migrations to `database` on the configured server (in TLS as configured) and
/// returns the versions applied. Concurrent callers (replicas starting together) serialise on
/// the advisory lock; the later ones find nothing to do.
pub async fn run(
    settings: &DatabaseSettings,
    database: &str,
) -> Result<Vec<String>, MigrationError> {
    let conn = crate::pool::connect(&Connector::new(settings, database)?).await?;
    // diesel's migration harness is synchronous; keep it off the async threads.
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
        // Polled rather than waited on: a caller blocked in `pg_advisory_lock` holds a
        // transaction open, and `CREATE INDEX CONCURRENTLY` in the holder's migration waits for
        // every open transaction to end, a deadlock PostgreSQL breaks by failing one of them.
        loop {
            let locked: Locked = diesel::sql_query(format!(
                "SELECT pg_try_advisory_lock({MIGRATION_LOCK_KEY}) AS locked"
            ))
            .get_result(&mut conn)
            .map_err(|e| MigrationError::Run(e.to_string()))?;
            if locked.locked {
                break;
            }
            std::thread::sleep(LOCK_POLL);
        }
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

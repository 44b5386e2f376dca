//! Test support shared by every crate's integration tests.
//!
//! Each test gets its own PostgreSQL database, copied from a template that is migrated once per
//! set of migrations (named after their hash, created under an advisory lock so parallel test
//! processes do not race), and dropped when the test ends. Tests therefore run in parallel and
//! rerun cleanly.

pub mod broker;
pub mod ddex;
pub mod fixtures;
pub mod garage;
pub mod http;
pub mod platform;
pub mod redis;
pub mod releases;
pub mod sftp;
pub mod smtp;
pub mod tls;
pub mod usage;
pub mod wistia;

use std::path::{Path, PathBuf};

use backbeat_config::Settings;
use backbeat_config::secrecy::ExposeSecret;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use rand::RngExt;

pub use backbeat_config;

/// Every file under `dir`, at any depth (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

const TEMPLATE_LOCK_KEY: i64 = 0x6262_7465_6d70_6c74;
pub const TEST_DATABASE_PREFIX: &str = "backbeat_test_";

/// Settings for a test: the developer's environment, with port 0, cheap password hashes and
/// quiet logs. The database name is set by [`TestDatabase::settings`].
pub fn settings() -> Settings {
    let mut settings = Settings::load().expect("test configuration loads");
    settings.server.port = 0;
    settings.server.public_base_url = String::new();
    settings.server.workers = 1;
    settings.auth.scrypt.log_n = 10;
    settings.log.filter = "warn".to_owned();
    // Tests sign up and log in many users from one address; the rate-limit tests set their own.
    let generous = backbeat_config::RateRule {
        limit: 1_000_000,
        period_secs: 60,
    };
    let limits = &mut settings.rate_limits;
    for rule in [
        &mut limits.login_per_address,
        &mut limits.login_per_username,
        &mut limits.signup_per_address,
        &mut limits.writes_per_caller,
        &mut limits.reads_per_caller,
    ] {
        *rule = generous;
    }
    settings
}

/// A database of this test's own, dropped (with any connections to it) when it goes out of scope.
pub struct TestDatabase {
    pub name: String,
    settings: Settings,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let settings = settings();
        let template = ensure_template(&settings).await;
        let suffix: u64 = rand::rng().random();
        let name = format!("{TEST_DATABASE_PREFIX}{suffix:016x}");
        let mut admin = admin_connection(&settings).await;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .await
            .expect("create test database from template");
        Self { name, settings }
    }

    /// A fresh, empty database (no migrations applied), for testing migrations themselves.
    pub async fn create_empty() -> Self {
        let settings = settings();
        let suffix: u64 = rand::rng().random();
        let name = format!("{TEST_DATABASE_PREFIX}{suffix:016x}");
        let mut admin = admin_connection(&settings).await;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create database");
        Self { name, settings }
    }

    /// Test settings pointing at this database.
    pub fn settings(&self) -> Settings {
        let mut settings = self.settings.clone();
        settings.database.name = self.name.clone();
        settings.database.url = None;
        settings
    }

    pub fn url(&self) -> String {
        self.settings()
            .database
            .connection_url()
            .expose_secret()
            .to_owned()
    }

    pub async fn connect(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url())
            .await
            .expect("connect to test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let settings = self.settings.clone();
        // Drop runs inside the test's runtime, which cannot block on async work: use a thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = admin_connection(&settings).await;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

async fn admin_connection(settings: &Settings) -> AsyncPgConnection {
    let url = settings.database.connection_url_for("postgres");
    AsyncPgConnection::establish(url.expose_secret())
        .await
        .expect("connect to the `postgres` database (is PostgreSQL running? `./dev services`)")
}

/// The migrations folder of this workspace.
pub fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations")
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

async fn ensure_template(settings: &Settings) -> String {
    let template = format!("backbeat_template_{}", backbeat_db::migrations::FINGERPRINT);
    let mut admin = admin_connection(settings).await;
    admin
        .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))
        .await
        .expect("take template lock");
    let exists: Count =
        diesel::sql_query("SELECT count(*) AS count FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(&template)
            .get_result(&mut admin)
            .await
            .expect("look up template");
    if exists.count == 0 {
        let building = format!("{template}_building");
        // Left over by a run that died mid-migration; one statement per call (no transaction).
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .await
            .expect("drop stale template database");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .await
            .expect("create template database");
        backbeat_db::migrations::run(&settings.database, &building)
            .await
            .expect("migrate template database");
        admin
            .batch_execute(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
            ))
            .await
            .expect("publish template database");
    }
    admin
        .batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))
        .await
        .expect("release template lock");
    template
}

//! Configuration for both processes.
//!
//! Layers, lowest first: the embedded `configuration/base.yaml`, the profile's file
//! (`local.yaml` or `production.yaml`, chosen by `APP_ENVIRONMENT`), an optional file named by
//! `APP_CONFIG_FILE`, the openMusic variable names (`PORT`, `PGHOST`, `ACCESS_TOKEN_KEY`, ...),
//! and finally `APP_`-prefixed variables with `__` between levels (`APP_DATABASE__HOST`).
//! Secrets are [`SecretString`]s: they print as `[REDACTED]` in `Debug` output and logs.

mod aliases;
mod production;

use std::collections::HashMap;
use std::time::Duration;

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use secrecy;

const BASE: &str = include_str!("../../../configuration/base.yaml");
const LOCAL: &str = include_str!("../../../configuration/local.yaml");
const PRODUCTION: &str = include_str!("../../../configuration/production.yaml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Local,
    Production,
}

impl Profile {
    fn parse(value: &str) -> Result<Self, ConfigError> {
        match value.to_ascii_lowercase().as_str() {
            "local" | "development" | "dev" => Ok(Profile::Local),
            "production" | "prod" => Ok(Profile::Production),
            other => Err(ConfigError::Invalid(format!(
                "APP_ENVIRONMENT must be `local` or `production`, not `{other}`"
            ))),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(skip, default = "default_profile")]
    pub profile: Profile,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub rabbitmq: RabbitMqSettings,
    pub jobs: JobSettings,
    pub worker: WorkerSettings,
    pub scheduler: SchedulerSettings,
    pub smtp: SmtpSettings,
    pub mail: MailSettings,
    pub storage: StorageSettings,
    pub distribution: DistributionSettings,
    pub royalties: RoyaltySettings,
    pub cache: CacheSettings,
    pub auth: AuthSettings,
    pub rate_limits: RateLimitSettings,
    pub retention: RetentionSettings,
    pub chat: ChatSettings,
    pub verification: VerificationSettings,
    pub wistia: WistiaSettings,
    pub videos: VideoSettings,
    pub compat: CompatSettings,
    pub log: LogSettings,
}

fn default_profile() -> Profile {
    Profile::Local
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_base_url: String,
    pub base_path: String,
    pub json_limit_bytes: usize,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    /// Peers whose `X-Forwarded-For` is believed (the load balancer); others are the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Origins a browser app may call the API from (`https://player.example.com`); none by default.
    pub cors_allowed_origins: Vec<String>,
    /// Clients (as `trusted_proxies` resolve them) that `GET /metrics` on the API port answers;
    /// anyone else gets 404. Loopback by default.
    pub metrics_allowed_networks: Vec<ipnet::IpNet>,
    /// Non-zero: `/metrics` is served on its own listener at `host:metrics_port`, to whoever can
    /// reach that port (kept off the public network), and the API port answers 404 for it.
    #[serde(default)]
    pub metrics_port: u16,
    /// `GET /bench/select-1` and `GET /bench/redis-get`: the cheapest round trips through the
    /// same stack, for the benchmark's limit reference. Off everywhere else.
    #[serde(default)]
    pub reference_routes: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// A full connection URL; when set it wins over the separate fields.
    pub url: Option<SecretString>,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<SecretString>,
    pub name: String,
    pub pool_max_size: usize,
    pub acquire_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub statement_timeout_ms: u64,
    /// PostgreSQL's `sslmode`: `disable`, `prefer` (the default, as libpq), `require`,
    /// `verify-ca` or `verify-full`. An `sslmode` in `url` wins.
    pub ssl_mode: String,
    /// A PEM file of CAs trusted besides the system's (a managed service's CA).
    pub ca_file: Option<String>,
}

impl DatabaseSettings {
    /// The connection URL for the configured database.
    pub fn connection_url(&self) -> SecretString {
        self.connection_url_for(&self.name)
    }

    /// The connection URL for another database on the same server (tests, admin tasks).
    pub fn connection_url_for(&self, database: &str) -> SecretString {
        if let Some(url) = &self.url {
            let url = url.expose_secret();
            // Swap the path segment; keep any query string.
            let (head, query) = url
                .split_once('?')
                .map_or((url, None), |(h, q)| (h, Some(q)));
            let base = head.rsplit_once('/').map_or(head, |(b, _)| b);
            let mut out = format!("{base}/{database}");
            if let Some(q) = query {
                out.push('?');
                out.push_str(q);
            }
            return SecretString::from(out);
        }
        let password = self
            .password
            .as_ref()
            .map(|p| p.expose_secret())
            .unwrap_or("");
        let credentials = if password.is_empty() {
            encode(&self.user)
        } else {
            format!("{}:{}", encode(&self.user), encode(password))
        };
        SecretString::from(format!(
            "postgres://{credentials}@{}:{}/{}",
            self.host,
            self.port,
            encode(database)
        ))
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.acquire_timeout_ms)
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    /// `redis://` or, for TLS, `rediss://`.
    pub url: SecretString,
    pub pool_max_size: usize,
    pub timeout_ms: u64,
    /// A PEM file of CAs trusted besides the system's, for `rediss://`.
    pub ca_file: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RabbitMqSettings {
    /// `amqp://` or, for TLS, `amqps://`.
    pub url: SecretString,
    /// A PEM file of CAs trusted besides the system's, for `amqps://`.
    pub ca_file: Option<String>,
    pub connect_timeout_ms: u64,
    pub prefix: String,
    /// Deletes queues left unused this long (ephemeral environments such as tests); unset in
    /// production, where queues live forever.
    pub queue_expires_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    pub max_attempts: u32,
    pub retry_base_ms: u64,
    pub prefetch: u16,
    pub relay_interval_ms: u64,
    pub relay_batch: i64,
    pub shutdown_grace_secs: u64,
    /// The worker's CPU priority (Unix niceness, 0-19): on a machine it shares with the API,
    /// background work yields to requests. 0 keeps the default.
    pub nice: i32,
    /// A running attempt whose heartbeat is older than this has lost its worker: another may
    /// take the job over. Workers renew it every quarter of it.
    pub lease_secs: u64,
    /// A job whose state says work is pending, and which no message has been sent for in this
    /// long, gets a new one (the sweeper, `scheduler.stalled_jobs_secs`).
    pub stalled_after_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SchedulerSettings {
    /// How often each worker looks for periodic tasks that are due.
    pub poll_interval_ms: u64,
    pub refresh_token_purge_secs: u64,
    pub access_mirror_secs: u64,
    pub retention_secs: u64,
    /// How often scheduled distributions whose release time has come are queued.
    pub due_distributions_secs: u64,
    /// How often the platforms' acknowledgement folders are read.
    pub acknowledgements_secs: u64,
    /// How often verification codes past their validity become `expired`.
    pub verification_expiry_secs: u64,
    /// How often the videos are synced from Wistia (idle while no token is configured).
    pub video_sync_secs: u64,
    /// How often the sweeper looks for jobs that no message will bring back.
    pub stalled_jobs_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Upgrade with STARTTLS (required).
    Starttls,
    /// TLS from the first byte.
    Tls,
    /// Plain text: local mail catchers only.
    None,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: Option<SecretString>,
    pub tls: SmtpTls,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    pub from: String,
    pub outbox_dir: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StorageSettings {
    /// `local` (a folder, `root`: one machine, or a volume every process mounts) or `s3` (an
    /// S3-compatible object store, `s3.*`: processes that share no disk).
    pub backend: StorageBackend,
    pub root: String,
    /// Where uploads wait while they are checked, before they go to the store (`s3` only; the
    /// system's temporary folder when empty). Local scratch, never shared.
    pub spool_dir: String,
    pub s3: S3Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageBackend {
    Local,
    S3,
}

#[derive(Debug, Clone, Deserialize)]
pub struct S3Settings {
    /// `https://s3.example.com` (or `http://` for a store on loopback); empty: AWS itself.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: Option<SecretString>,
    /// A CA bundle (PEM) to trust instead of the system's, for a store with its own CA.
    pub ca_file: Option<String>,
    /// Parts of a multipart upload, in bytes (at least 5 MiB, S3's minimum).
    pub part_bytes: usize,
    /// Objects kept in the spool after a delivery read them, in bytes (0: none).
    pub cache_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DistributionSettings {
    /// Each platform's drop folder is a folder under this root (its code, unless set).
    pub delivery_root: String,
    /// backbeat's DDEX party id (`PADPIDA...`), the MessageSender of every message.
    pub sender_party_id: String,
    pub sender_name: String,
    /// Flush each package to disk before it appears in the drop folder.
    pub fsync: bool,
    pub audio_max_bytes: u64,
    pub artwork_max_bytes: u64,
    /// Releases per bulk chunk (a chunk is one job; chunks run in parallel on every worker).
    pub bulk_chunk_releases: usize,
    pub bulk_max_releases: usize,
    /// Pairs a worker delivers per second at most in bulk jobs (0: as fast as it can), so that a
    /// bulk job on a machine shared with the API leaves it room to answer.
    pub bulk_pairs_per_second: u32,
    /// backbeat's private key (OpenSSH format) for SFTP delivery; empty: none.
    pub sftp_key_path: String,
}

impl DistributionSettings {
    /// `sftp_key_path`, when one is configured.
    pub fn sftp_key(&self) -> Option<&std::path::Path> {
        (!self.sftp_key_path.is_empty()).then(|| std::path::Path::new(&self.sftp_key_path))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoyaltySettings {
    /// ISO 4217 code of the currency statements are in.
    pub base_currency: String,
    /// The distributor's fee in basis points where a platform has none of its own.
    pub default_fee_bps: u32,
    /// A decimal amount of the base currency: smaller balances are carried forward.
    pub minimum_payout: String,
    pub report_max_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CacheSettings {
    pub prefix: String,
    pub likes_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub access_token_key: Option<SecretString>,
    pub refresh_token_key: Option<SecretString>,
    pub access_token_age_secs: u64,
    pub refresh_token_age_secs: u64,
    pub scrypt: ScryptSettings,
    pub max_concurrent_hashes: usize,
    /// How long a login waits for a hashing slot before answering 503 with `Retry-After`.
    pub hash_wait_ms: u64,
    /// Keys API keys' secrets are hashed with (HMAC-SHA256); required in production.
    pub api_key_hash_key: Option<SecretString>,
    /// How often each API process writes the keys it saw used to `lastUsedAt`.
    pub key_usage_flush_secs: u64,
}

/// `limit` requests per `period_secs`, in bursts of up to `limit` (GCRA). A limit of 0 is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RateRule {
    pub limit: u32,
    pub period_secs: u64,
}

impl RateRule {
    pub fn is_on(&self) -> bool {
        self.limit > 0 && self.period_secs > 0
    }

    pub fn period(&self) -> Duration {
        Duration::from_secs(self.period_secs)
    }
}

/// The worker's own HTTP endpoint: `/health/live`, `/health/ready`, `/metrics`.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkerSettings {
    pub http_host: String,
    /// 0: any free port (logged at start).
    pub http_port: u16,
}

/// How long finished work is kept before the retention job deletes it.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    pub sent_outbox_hours: u64,
    pub succeeded_jobs_days: u64,
    pub dead_jobs_days: u64,
    pub sent_emails_days: u64,
    /// Rows per delete statement.
    pub batch_rows: i64,
}

/// Chat over WebSocket: limits per connection and per account, and how dead connections are
/// found.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatSettings {
    pub max_message_chars: usize,
    /// Frames a connection may send per second on average, in bursts of up to `burst`.
    pub frames_per_second: u32,
    pub burst: u32,
    /// Open connections per account, across every API process.
    pub max_connections_per_user: u32,
    /// Largest frame a client may send.
    pub max_frame_bytes: usize,
    /// The server pings this often; a connection silent for `client_timeout_secs` is closed.
    pub heartbeat_secs: u64,
    pub client_timeout_secs: u64,
    /// How long a connection without an `Authorization` header has to send its `auth` frame.
    pub auth_timeout_secs: u64,
    /// Frames queued for a client that reads too slowly before it is disconnected.
    pub send_queue: usize,
}

/// Artist verification: the codes and the crawler that looks for them.
#[derive(Debug, Clone, Deserialize)]
pub struct VerificationSettings {
    pub code_valid_hours: u64,
    pub requests_per_artist_per_day: u32,
    pub connect_timeout_ms: u64,
    /// For each request of the crawl (each redirect is one).
    pub fetch_timeout_ms: u64,
    pub max_page_bytes: usize,
    pub max_redirects: usize,
    pub user_agent: String,
    /// Lets the crawler reach loopback addresses: tests' own servers only, never production.
    pub allow_loopback: bool,
}

/// Wistia, where the platform's videos are hosted: backbeat reads its media list and stats.
#[derive(Debug, Clone, Deserialize)]
pub struct WistiaSettings {
    pub base_url: String,
    /// The account's API token; none (or empty): video sync is off.
    pub token: Option<SecretString>,
    /// The client's own limit, kept under the account's (Wistia allows 600 a minute): requests
    /// are spaced evenly at this rate, in bursts of at most `burst`.
    pub requests_per_minute: u32,
    pub burst: u32,
    /// Stats requests in flight at once (each media's plays is one request).
    pub concurrency: usize,
    pub connect_timeout_ms: u64,
    /// For each request, from sending it to the last byte of the answer.
    pub request_timeout_ms: u64,
    /// Retries of one request after a 429, a 5xx, a timeout or a refused connection.
    pub max_retries: u32,
    /// The first retry's back-off, doubled each time; a `Retry-After` answer is waited instead.
    pub retry_base_ms: u64,
    /// The longest wait for a retry (a longer `Retry-After` fails the request: the job retries).
    pub max_retry_wait_ms: u64,
    /// Medias per page of the list (Wistia's maximum is 100).
    pub per_page: u32,
}

/// The local catalog of videos.
#[derive(Debug, Clone, Deserialize)]
pub struct VideoSettings {
    /// Ready videos whose plays a sync refreshes at most (oldest refreshed first): the rest wait
    /// for the next sync, so one sync stays within the account's rate limit.
    pub stats_per_sync: u32,
    /// The public playlist's length (visible videos, newest first).
    pub playlist_size: u32,
    /// How long the rendered playlist may stay in Redis (writes invalidate it sooner).
    pub playlist_ttl_secs: u64,
}

impl WistiaSettings {
    /// The token, when sync is configured.
    pub fn token(&self) -> Option<&SecretString> {
        self.token
            .as_ref()
            .filter(|token| !token.expose_secret().trim().is_empty())
    }
}

/// Rate limits per route class, shared by every API process through Redis.
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    pub login_per_address: RateRule,
    pub login_per_username: RateRule,
    pub signup_per_address: RateRule,
    pub writes_per_caller: RateRule,
    pub reads_per_caller: RateRule,
    pub anonymous_reads_per_address: RateRule,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct ScryptSettings {
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CompatSettings {
    /// openMusic lets anonymous clients write the catalog; backbeat does not unless this is set.
    pub openmusic_anonymous_catalog: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
    /// An OTLP/HTTP collector (`http://otel-collector:4318`): traces are exported there, one
    /// trace from a request through the outbox and RabbitMQ to the job and its calls. Empty: off.
    pub otlp_endpoint: String,
    /// How long finished spans wait before they are sent, in a batch.
    pub otlp_flush_ms: u64,
}

impl Settings {
    /// Loads the configuration from the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(std::env::vars())
    }

    /// Loads the configuration from the given environment (tests pass their own).
    pub fn load_from(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = vars.into_iter().collect();
        let profile = Profile::parse(vars.get("APP_ENVIRONMENT").map_or("local", String::as_str))?;
        let profile_file = match profile {
            Profile::Local => LOCAL,
            Profile::Production => PRODUCTION,
        };
        let mut builder = Config::builder()
            .add_source(File::from_str(BASE, FileFormat::Yaml))
            .add_source(File::from_str(profile_file, FileFormat::Yaml));
        if let Some(path) = vars.get("APP_CONFIG_FILE") {
            builder = builder.add_source(File::with_name(path).required(true));
        }
        let app_vars: HashMap<String, String> = vars
            .iter()
            .filter(|(k, _)| {
                k.starts_with("APP_")
                    && k.as_str() != "APP_ENVIRONMENT"
                    && k.as_str() != "APP_CONFIG_FILE"
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let settings = builder
            .add_source(environment(aliases::to_app_vars(&vars)))
            .add_source(environment(app_vars))
            .build()?;
        let mut settings: Settings = settings.try_deserialize()?;
        settings.profile = profile;
        if profile == Profile::Production {
            production::check(&settings)?;
        }
        Ok(settings)
    }
}

fn environment(source: HashMap<String, String>) -> Environment {
    Environment::with_prefix("APP")
        .prefix_separator("_")
        .separator("__")
        .try_parsing(true)
        .list_separator(",")
        .with_list_parse_key("server.trusted_proxies")
        .with_list_parse_key("server.cors_allowed_origins")
        .with_list_parse_key("server.metrics_allowed_networks")
        .source(Some(source))
}

/// Percent-encodes a URL userinfo or path component.
fn encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::load_from(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn local_profile_runs_out_of_the_box() {
        let s = load(&[]).expect("local loads");
        assert_eq!(s.profile, Profile::Local);
        assert_eq!(s.server.port, 5000);
        assert!(s.auth.access_token_key.is_some());
        assert_eq!(s.auth.access_token_age_secs, 1800);
    }

    #[test]
    fn app_variables_beat_openmusic_aliases_which_beat_files() {
        let s = load(&[
            ("PORT", "6000"),
            ("PGHOST", "db.internal"),
            ("ACCESS_TOKEN_AGE", "60"),
        ])
        .expect("loads");
        assert_eq!(s.server.port, 6000);
        assert_eq!(s.database.host, "db.internal");
        assert_eq!(s.auth.access_token_age_secs, 60);
        let s = load(&[("PORT", "6000"), ("APP_SERVER__PORT", "7000")]).expect("loads");
        assert_eq!(s.server.port, 7000);
    }

    #[test]
    fn openmusic_server_names_become_urls() {
        let s = load(&[
            ("REDIS_SERVER", "cache"),
            ("RABBITMQ_SERVER", "amqp://mq:5672"),
        ])
        .expect("loads");
        assert_eq!(s.redis.url.expose_secret(), "redis://cache:6379");
        assert_eq!(s.rabbitmq.url.expose_secret(), "amqp://mq:5672");
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let s = load(&[
            ("PGPASSWORD", "pg-secret-value"),
            ("ACCESS_TOKEN_KEY", "k".repeat(40).as_str()),
        ])
        .expect("loads");
        let debug = format!("{s:?}");
        assert!(!debug.contains("pg-secret-value"));
        assert!(!debug.contains(&"k".repeat(40)));
        assert!(!debug.contains("dev-refresh-token-key"));
    }

    #[test]
    fn connection_url_encodes_credentials() {
        let s = load(&[("PGPASSWORD", "p@ss/word"), ("PGDATABASE", "music")]).expect("loads");
        assert_eq!(
            s.database.connection_url().expose_secret(),
            "postgres://postgres:p%40ss%2Fword@127.0.0.1:5432/music"
        );
        assert!(
            s.database
                .connection_url_for("other")
                .expose_secret()
                .ends_with("/other")
        );
    }

    #[test]
    fn production_refuses_missing_or_development_secrets_naming_the_variable() {
        let strong_a = "a".repeat(48);
        let strong_b = "b".repeat(48);
        let prod = ("APP_ENVIRONMENT", "production");

        let err = load(&[prod]).expect_err("no keys").to_string();
        assert!(err.contains("ACCESS_TOKEN_KEY"), "{err}");

        let err = load(&[prod, ("ACCESS_TOKEN_KEY", &strong_a)])
            .expect_err("no refresh")
            .to_string();
        assert!(err.contains("REFRESH_TOKEN_KEY"), "{err}");

        let dev = "dev-access-token-key-do-not-use-in-production-0000";
        let err = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", dev),
            ("REFRESH_TOKEN_KEY", &strong_b),
        ])
        .expect_err("dev key")
        .to_string();
        assert!(
            err.contains("ACCESS_TOKEN_KEY") && err.contains("development"),
            "{err}"
        );

        let err = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", "short"),
            ("REFRESH_TOKEN_KEY", &strong_b),
        ])
        .expect_err("short key")
        .to_string();
        assert!(
            err.contains("ACCESS_TOKEN_KEY") && err.contains("32"),
            "{err}"
        );

        let err = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", &strong_a),
            ("REFRESH_TOKEN_KEY", &strong_a),
        ])
        .expect_err("same keys")
        .to_string();
        assert!(err.contains("REFRESH_TOKEN_KEY"), "{err}");

        let err = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", &strong_a),
            ("REFRESH_TOKEN_KEY", &strong_b),
        ])
        .expect_err("no API key hash key")
        .to_string();
        assert!(err.contains("APP_AUTH__API_KEY_HASH_KEY"), "{err}");

        let err = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", &strong_a),
            ("REFRESH_TOKEN_KEY", &strong_b),
            ("APP_AUTH__API_KEY_HASH_KEY", &strong_a),
        ])
        .expect_err("API key hash key reuses a token key")
        .to_string();
        assert!(err.contains("APP_AUTH__API_KEY_HASH_KEY"), "{err}");

        let strong_c = "c".repeat(48);
        let err = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", &strong_a),
            ("REFRESH_TOKEN_KEY", &strong_b),
            ("APP_AUTH__API_KEY_HASH_KEY", &strong_c),
        ])
        .expect_err("no db password")
        .to_string();
        assert!(err.contains("PGPASSWORD"), "{err}");

        let keys = [
            prod,
            ("ACCESS_TOKEN_KEY", strong_a.as_str()),
            ("REFRESH_TOKEN_KEY", strong_b.as_str()),
            ("APP_AUTH__API_KEY_HASH_KEY", strong_c.as_str()),
        ];
        let with = |extra: (&'static str, &'static str)| {
            let mut vars = keys.to_vec();
            vars.push(extra);
            load(&vars)
        };
        for (var, weak) in [
            ("PGPASSWORD", "short-pass"),
            ("PGPASSWORD", "postgres"),
            ("PGPASSWORD", "changeme-changeme-changeme"),
            (
                "DATABASE_URL",
                "postgres://app:postgres@db.internal/backbeat",
            ),
            ("DATABASE_URL", "postgres://app@db.internal/backbeat"),
        ] {
            let err = with((var, weak)).expect_err(weak).to_string();
            assert!(err.contains("database password"), "{weak}: {err}");
        }
        with((
            "DATABASE_URL",
            "postgres://app:Zq%2F8vL4pN2xR7kTw9@db.internal/backbeat",
        ))
        .expect("a strong password in the URL");

        let s = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", &strong_a),
            ("REFRESH_TOKEN_KEY", &strong_b),
            ("APP_AUTH__API_KEY_HASH_KEY", &strong_c),
            ("PGPASSWORD", "a-real-strong-database-password"),
        ])
        .expect("complete production configuration");
        assert_eq!(s.log.format, LogFormat::Json);
        assert_eq!(s.auth.scrypt.log_n, 17);
        assert!(s.server.cors_allowed_origins.is_empty());
        assert_eq!(s.server.metrics_port, 0);
        assert!(
            s.server
                .metrics_allowed_networks
                .iter()
                .all(|n| n.addr().is_loopback())
        );
        assert!(!s.verification.allow_loopback);

        let err = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", &strong_a),
            ("REFRESH_TOKEN_KEY", &strong_b),
            ("APP_AUTH__API_KEY_HASH_KEY", &strong_c),
            ("PGPASSWORD", "a-real-strong-database-password"),
            ("APP_VERIFICATION__ALLOW_LOOPBACK", "true"),
        ])
        .expect_err("a crawler that reaches this machine")
        .to_string();
        assert!(err.contains("verification.allow_loopback"), "{err}");

        let err = load(&[
            prod,
            ("ACCESS_TOKEN_KEY", &strong_a),
            ("REFRESH_TOKEN_KEY", &strong_b),
            ("APP_AUTH__API_KEY_HASH_KEY", &strong_c),
            ("PGPASSWORD", "a-real-strong-database-password"),
            ("APP_WISTIA__BASE_URL", "http://api.wistia.com"),
        ])
        .expect_err("the Wistia token sent in plain text")
        .to_string();
        assert!(err.contains("wistia.base_url"), "{err}");
    }

    #[test]
    fn an_empty_wistia_token_turns_sync_off() {
        let s = load(&[("APP_WISTIA__TOKEN", "")]).expect("loads");
        assert!(s.wistia.token().is_none());
        let s = load(&[("APP_WISTIA__TOKEN", "wistia-secret")]).expect("loads");
        assert!(s.wistia.token().is_some());
        assert!(!format!("{s:?}").contains("wistia-secret"));
    }

    #[test]
    fn lists_come_comma_separated_from_the_environment() {
        let s = load(&[
            (
                "APP_SERVER__CORS_ALLOWED_ORIGINS",
                "https://player.example.com,http://localhost:3000",
            ),
            ("APP_SERVER__TRUSTED_PROXIES", "10.0.0.1"),
            ("APP_SERVER__METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,::1/128"),
        ])
        .expect("loads");
        assert_eq!(
            s.server.metrics_allowed_networks,
            [
                "10.0.0.0/8".parse::<ipnet::IpNet>().expect("net"),
                "::1/128".parse().expect("net")
            ]
        );
        assert!(load(&[("APP_SERVER__METRICS_ALLOWED_NETWORKS", "10.0.0.300/8")]).is_err());
        assert_eq!(
            s.server.cors_allowed_origins,
            ["https://player.example.com", "http://localhost:3000"]
        );
        assert_eq!(
            s.server.trusted_proxies,
            ["10.0.0.1".parse::<std::net::IpAddr>().expect("ip")]
        );
    }

    /// Every key of `base.yaml`, as its `APP_` variable (`APP_RATE_LIMITS__READS_PER_CALLER__LIMIT`).
    fn variables(prefix: &str, value: &yaml_rust2::Yaml, out: &mut Vec<String>) {
        match value {
            yaml_rust2::Yaml::Hash(map) => {
                for (key, value) in map {
                    let key = key.as_str().expect("string keys").to_uppercase();
                    let name = if prefix.is_empty() {
                        format!("APP_{key}")
                    } else {
                        format!("{prefix}__{key}")
                    };
                    variables(&name, value, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }

    #[test]
    fn the_env_example_lists_every_setting() {
        let base = yaml_rust2::YamlLoader::load_from_str(BASE).expect("base.yaml");
        let mut names = Vec::new();
        variables("", &base[0], &mut names);
        assert!(names.len() > 50, "{names:?}");
        let example = include_str!("../../../.env.example");
        let missing: Vec<&String> = names
            .iter()
            .filter(|name| !example.contains(&format!("{name}=")))
            .collect();
        assert!(missing.is_empty(), ".env.example lacks {missing:?}");
    }
}

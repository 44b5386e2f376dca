//! What every service and job gets: the configuration, the pools and the adapters.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use backbeat_auth::{ApiKeys, Passwords, Tokens};
use backbeat_cache::{ChatRedis, Gate, LikesCache, Packed, PageCache, PlaylistCache, RedisPool};
use backbeat_config::secrecy::ExposeSecret;
use backbeat_config::{Settings, StorageBackend};
use backbeat_crawler::{Crawler, Rules};
use backbeat_db::{DbPool, PooledConnection};
use backbeat_mail::Mailer;
use backbeat_queue::Broker;
use backbeat_storage::Storage;
use backbeat_wistia::Wistia;

use crate::Result;
use crate::access::Access;
use crate::catalog::access::CatalogPolicy;
use crate::catalog::albums::AlbumPage;
use crate::catalog::song_count::SongCount;

/// Memory for search pages (compressed: about 600 full pages of 1,000 songs).
const SONG_PAGES_BYTES: u64 = 16 * 1024 * 1024;
/// Memory for album pages (about 10,000 albums of a dozen songs).
const ALBUM_PAGES_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub db: DbPool,
    pub redis: RedisPool,
    /// RabbitMQ, connected on first use: the outbox relay publishes through it, the sweeper
    /// reads queue depths, readiness pings it.
    pub broker: Broker,
    pub likes: LikesCache,
    pub storage: Arc<dyn Storage>,
    pub mailer: Arc<dyn Mailer>,
    pub passwords: Passwords,
    pub tokens: Arc<Tokens>,
    pub api_keys: Arc<ApiKeys>,
    /// Rate limits, the credential mirror and the API key cache.
    pub access: Access,
    pub song_count: Arc<SongCount>,
    /// Rendered `GET /songs` pages, stale as soon as any song is written.
    pub song_pages: PageCache<Packed>,
    /// Rendered `GET /albums/{id}` bodies as anyone but their owner sees them, each stale as soon
    /// as its album, its cover or one of its songs is written.
    pub album_pages: PageCache<AlbumPage>,
    /// Chat's fan-out between API processes and each account's connection count.
    pub chat: ChatRedis,
    /// Fetches artists' profile pages, never reaching private networks.
    pub crawler: Crawler,
    /// Wistia, where the videos are; `None` without a token (video sync is off). One per process,
    /// so every request of the process waits at one limiter.
    pub wistia: Option<Wistia>,
    /// The rendered public video playlist.
    pub video_playlist: PlaylistCache,
}

fn wistia(settings: &Settings) -> anyhow::Result<Option<Wistia>> {
    let w = &settings.wistia;
    let Some(token) = w.token() else {
        return Ok(None);
    };
    Ok(Some(Wistia::new(
        &w.base_url,
        token,
        backbeat_wistia::Rules {
            requests_per_minute: w.requests_per_minute,
            burst: w.burst,
            connect_timeout: Duration::from_millis(w.connect_timeout_ms),
            request_timeout: Duration::from_millis(w.request_timeout_ms),
            max_retries: w.max_retries,
            retry_base: Duration::from_millis(w.retry_base_ms),
            max_retry_wait: Duration::from_millis(w.max_retry_wait_ms),
            per_page: w.per_page.clamp(1, 100),
        },
    )?))
}

/// The configured file store: the local folder, or the S3-compatible object store.
pub fn storage(settings: &Settings) -> anyhow::Result<Arc<dyn Storage>> {
    let s = &settings.storage;
    Ok(match s.backend {
        StorageBackend::Local => backbeat_storage::local(&s.root),
        StorageBackend::S3 => {
            let ca_pem = match &s.s3.ca_file {
                Some(path) => Some(
                    std::fs::read(path)
                        .with_context(|| format!("storage.s3.ca_file: cannot read {path}"))?,
                ),
                None => None,
            };
            let spool = if s.spool_dir.is_empty() {
                std::env::temp_dir().join("backbeat-uploads")
            } else {
                s.spool_dir.clone().into()
            };
            backbeat_storage::s3(backbeat_storage::S3Config {
                endpoint: s.s3.endpoint.clone(),
                region: s.s3.region.clone(),
                bucket: s.s3.bucket.clone(),
                access_key_id: s.s3.access_key_id.clone(),
                secret_access_key: s
                    .s3
                    .secret_access_key
                    .as_ref()
                    .map(|k| k.expose_secret().to_owned())
                    .unwrap_or_default(),
                ca_pem,
                part_bytes: s.s3.part_bytes,
                cache_bytes: s.s3.cache_bytes,
                spool,
            })
            .context("storage.s3")?
        }
    })
}

fn crawler(settings: &Settings) -> anyhow::Result<Crawler> {
    let v = &settings.verification;
    Ok(Crawler::new(Rules {
        connect_timeout: Duration::from_millis(v.connect_timeout_ms),
        timeout: Duration::from_millis(v.fetch_timeout_ms),
        max_page_bytes: v.max_page_bytes,
        max_redirects: v.max_redirects,
        user_agent: v.user_agent.clone(),
        allow_loopback: v.allow_loopback,
    })?)
}

impl Context {
    /// Builds the pools without connecting: a process starts even when a dependency is down, and
    /// reports it through its health checks and 503s. `application_name` names its database
    /// connections.
    pub async fn build(settings: Settings, application_name: &'static str) -> anyhow::Result<Self> {
        let db = backbeat_db::pool::build(&settings.database, application_name)?;
        let redis = backbeat_cache::pool::build(&settings.redis)?;
        Ok(Self {
            broker: Broker::new(&settings.rabbitmq, application_name),
            likes: LikesCache::new(redis.clone(), &settings.cache),
            song_pages: PageCache::new(
                redis.clone(),
                &settings.cache.prefix,
                "songs:search",
                SONG_PAGES_BYTES,
            ),
            album_pages: PageCache::new(
                redis.clone(),
                &settings.cache.prefix,
                "albums:page",
                ALBUM_PAGES_BYTES,
            ),
            access: Access::new(Gate::new(redis.clone(), &settings.cache)),
            chat: ChatRedis::new(redis.clone(), &settings.redis, &settings.cache.prefix)?,
            crawler: crawler(&settings)?,
            wistia: wistia(&settings)?,
            video_playlist: PlaylistCache::new(
                redis.clone(),
                &settings.cache.prefix,
                settings.videos.playlist_ttl_secs,
            ),
            storage: storage(&settings)?,
            mailer: backbeat_mail::from_settings(&settings.smtp, &settings.mail)?,
            passwords: Passwords::new(settings.auth.scrypt, settings.auth.max_concurrent_hashes)
                .await?
                .with_wait(Duration::from_millis(settings.auth.hash_wait_ms)),
            api_keys: Arc::new(ApiKeys::new(&settings.auth)?),
            tokens: Arc::new(Tokens::new(&settings.auth)?),
            song_count: Arc::default(),
            settings: Arc::new(settings),
            db,
            redis,
        })
    }

    /// A connection; exhaustion or an outage is [`crate::Error::Unavailable`].
    pub async fn conn(&self) -> Result<PooledConnection> {
        Ok(backbeat_db::pool::get(&self.db).await?)
    }

    pub fn catalog_policy(&self) -> CatalogPolicy {
        CatalogPolicy {
            anonymous_writes: self.settings.compat.openmusic_anonymous_catalog,
        }
    }
}

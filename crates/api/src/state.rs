//! What every handler shares: configuration, pools and the auth services.

use std::sync::Arc;
use std::time::Duration;

use backbeat_config::Settings;
use backbeat_config::secrecy::ExposeSecret;
use backbeat_db::DbPool;
use backbeat_queue::{Broker, Relay, RelayHandle};
use backbeat_storage::Storage;
use deadpool_redis::{Pool as RedisPool, Runtime};

use crate::auth::{CatalogPolicy, Passwords, Tokens};

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DbPool,
    pub redis: RedisPool,
    pub broker: Broker,
    pub tokens: Arc<Tokens>,
    pub passwords: Passwords,
    pub relay: RelayHandle,
    pub storage: Storage,
    pub likes: crate::likes_cache::LikesCache,
}

impl AppState {
    /// Builds the pools without connecting: the API starts even when a dependency is down and
    /// reports it through `/health/ready` and 503s.
    /// Also returns the outbox relay, to be run on the process's main runtime.
    pub async fn build(settings: Settings) -> anyhow::Result<(Self, Relay)> {
        let db = backbeat_db::pool::build(&settings.database, "backbeat-api");
        let redis = redis_pool(&settings)?;
        let broker = Broker::new(&settings.rabbitmq, "backbeat-api");
        let tokens = Arc::new(Tokens::new(&settings.auth)?);
        let passwords =
            Passwords::new(settings.auth.scrypt, settings.auth.max_concurrent_hashes).await?;
        let relay = Relay::new(
            db.clone(),
            broker.clone(),
            &settings.rabbitmq,
            &settings.jobs,
        );
        let storage = Storage::local(&settings.storage.root);
        let likes = crate::likes_cache::LikesCache::new(redis.clone(), &settings.cache);
        let state = Self {
            settings: Arc::new(settings),
            db,
            redis,
            broker,
            tokens,
            passwords,
            relay: relay.handle(),
            storage,
            likes,
        };
        Ok((state, relay))
    }

    pub fn catalog_policy(&self) -> CatalogPolicy {
        CatalogPolicy {
            anonymous_writes: self.settings.compat.openmusic_anonymous_catalog,
        }
    }
}

fn redis_pool(settings: &Settings) -> anyhow::Result<RedisPool> {
    let timeout = Duration::from_millis(settings.redis.timeout_ms);
    Ok(
        deadpool_redis::Config::from_url(settings.redis.url.expose_secret())
            .builder()?
            .max_size(settings.redis.pool_max_size)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .build()?,
    )
}

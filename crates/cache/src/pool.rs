//! The Redis connection pool, built without connecting (a process starts with Redis down).

use std::time::Duration;

use backbeat_config::RedisSettings;
use backbeat_config::secrecy::ExposeSecret;
use deadpool_redis::Runtime;

pub type RedisPool = deadpool_redis::Pool;

pub fn build(settings: &RedisSettings) -> anyhow::Result<RedisPool> {
    let timeout = Duration::from_millis(settings.timeout_ms);
    Ok(
        deadpool_redis::Config::from_url(settings.url.expose_secret())
            .builder()?
            .max_size(settings.pool_max_size)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .build()?,
    )
}

/// `PING`: the readiness check.
pub async fn ping(pool: &RedisPool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let _: String = deadpool_redis::redis::cmd("PING")
        .query_async(&mut conn)
        .await?;
    Ok(())
}

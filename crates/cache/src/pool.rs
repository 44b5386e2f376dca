//! The Redis connection pool, built without connecting (a process starts with Redis down).
//! `rediss://` connects in TLS (rustls), trusting the system's store, or the CAs in
//! `redis.ca_file` when one is given.

use std::time::Duration;

use backbeat_config::RedisSettings;
use backbeat_config::secrecy::ExposeSecret;
use deadpool_redis::redis::{self, IntoConnectionInfo, TlsCertificates};
use deadpool_redis::{Manager, Runtime};

pub type RedisPool = deadpool_redis::Pool;

pub fn build(settings: &RedisSettings) -> anyhow::Result<RedisPool> {
    let timeout = Duration::from_millis(settings.timeout_ms);
    let url = settings.url.expose_secret();
    let mut info = url
        .into_connection_info()
        .map_err(|e| anyhow::anyhow!("redis.url is not a Redis URL: {e}"))?;
    let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
    if let Some(ca_file) = settings.ca_file.as_deref().filter(|f| !f.is_empty()) {
        anyhow::ensure!(tls, "redis.ca_file is set but redis.url is not rediss://");
        let pem = std::fs::read(ca_file)
            .map_err(|e| anyhow::anyhow!("cannot read redis.ca_file {ca_file}: {e}"))?;
        let client = redis::Client::build_with_tls(
            info,
            TlsCertificates {
                client_tls: None,
                root_cert: Some(pem),
            },
        )
        .map_err(|e| anyhow::anyhow!("redis.ca_file {ca_file}: {e}"))?;
        info = client.get_connection_info().clone();
    }
    let manager = Manager::new(info)?;
    Ok(deadpool_redis::Pool::builder(manager)
        .max_size(settings.pool_max_size)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(Runtime::Tokio1)
        .build()?)
}

/// `PING`: the readiness check.
pub async fn ping(pool: &RedisPool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let _: String = deadpool_redis::redis::cmd("PING")
        .query_async(&mut conn)
        .await?;
    Ok(())
}

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
    let manager = Manager::new(connection_info(settings)?)?;
    Ok(deadpool_redis::Pool::builder(manager)
        .max_size(settings.pool_max_size)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(Runtime::Tokio1)
        .build()?)
}

/// Where and how to connect, TLS included: the pool's, and a dedicated connection's (pub/sub).
pub fn connection_info(settings: &RedisSettings) -> anyhow::Result<redis::ConnectionInfo> {
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
    Ok(info)
}

/// One `GET`: the cheapest command a request can send (the benchmark's reference).
pub async fn get(pool: &RedisPool, key: &str) -> anyhow::Result<Option<String>> {
    let mut conn = pool.get().await?;
    Ok(deadpool_redis::redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await?)
}

/// `PING`: the readiness check.
pub async fn ping(pool: &RedisPool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let _: String = deadpool_redis::redis::cmd("PING")
        .query_async(&mut conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, ca_file: Option<&str>) -> RedisSettings {
        RedisSettings {
            url: url.to_owned().into(),
            pool_max_size: 1,
            timeout_ms: 100,
            ca_file: ca_file.map(str::to_owned),
        }
    }

    #[test]
    fn a_ca_file_that_cannot_be_used_stops_the_start_naming_it() {
        let plaintext =
            build(&settings("redis://127.0.0.1:6379", Some("/etc/hostname"))).expect_err("refused");
        assert!(plaintext.to_string().contains("rediss://"), "{plaintext}");
        let missing = build(&settings(
            "rediss://127.0.0.1:6380",
            Some("/nonexistent/ca.pem"),
        ))
        .expect_err("refused");
        assert!(
            missing.to_string().contains("/nonexistent/ca.pem"),
            "{missing}"
        );
        build(&settings("rediss://127.0.0.1:6380", None)).expect("the system's trust store");
    }
}

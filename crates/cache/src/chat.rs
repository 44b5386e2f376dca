//! Chat's state in Redis: the fan-out channel every API process publishes a room's events to and
//! listens on (so a message reaches members connected to any replica), and each account's open
//! connections, counted across processes.
//!
//! One channel carries every room: each process filters by the rooms its own connections joined.
//! Connections are members of a sorted set per account, scored by when they lapse: a process
//! that dies without closing them frees their places once they lapse (a live connection renews
//! its place at every heartbeat).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backbeat_config::RedisSettings;
use deadpool_redis::redis::{self, Script};
use futures_util::{Stream, StreamExt};

use crate::{Breaker, RedisPool};

const OPEN: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
";

#[derive(Clone)]
pub struct ChatRedis {
    pool: RedisPool,
    client: redis::Client,
    channel: String,
    prefix: String,
    timeout: Duration,
    open: Script,
    /// After a failure, chat skips Redis for a second instead of each message waiting for the
    /// timeout.
    breaker: Breaker,
}

impl ChatRedis {
    pub fn new(pool: RedisPool, settings: &RedisSettings, prefix: &str) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            client: redis::Client::open(crate::pool::connection_info(settings)?)?,
            channel: format!("{prefix}chat:events"),
            prefix: prefix.to_owned(),
            timeout: Duration::from_millis(settings.timeout_ms),
            open: Script::new(OPEN),
            breaker: Breaker::new(
                Duration::from_secs(1),
                "chat serves each process's own connections",
            ),
        })
    }

    /// Runs `call` unless Redis failed within the last second; a failure opens the breaker.
    async fn guarded<T>(
        &self,
        call: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        anyhow::ensure!(
            self.breaker.closed(),
            "Redis skipped after a recent failure"
        );
        let result = call.await;
        if let Err(error) = &result {
            self.breaker.trip(error);
        }
        result
    }

    /// Sends an event to every process listening.
    pub async fn publish(&self, payload: &[u8]) -> anyhow::Result<()> {
        self.guarded(self.publish_now(payload)).await
    }

    async fn publish_now(&self, payload: &[u8]) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        let _: i64 = tokio::time::timeout(
            self.timeout,
            redis::cmd("PUBLISH")
                .arg(&self.channel)
                .arg(payload)
                .query_async(&mut conn),
        )
        .await??;
        Ok(())
    }

    /// Listens on a connection of its own; the stream ends when that connection is lost.
    pub async fn subscribe(&self) -> anyhow::Result<impl Stream<Item = Vec<u8>> + Send + use<>> {
        let mut pubsub =
            tokio::time::timeout(self.timeout, self.client.get_async_pubsub()).await??;
        tokio::time::timeout(self.timeout, pubsub.subscribe(&self.channel)).await??;
        Ok(pubsub
            .into_on_message()
            .map(|message| message.get_payload_bytes().to_vec()))
    }

    /// Takes one of the account's `max` connection places for `connection` until `lapse` from
    /// now; `false` when every place is taken.
    pub async fn open_connection(
        &self,
        user: &str,
        connection: &str,
        max: u32,
        lapse: Duration,
    ) -> anyhow::Result<bool> {
        self.guarded(self.open_now(user, connection, max, lapse))
            .await
    }

    async fn open_now(
        &self,
        user: &str,
        connection: &str,
        max: u32,
        lapse: Duration,
    ) -> anyhow::Result<bool> {
        let now = unix_millis(Duration::ZERO);
        let mut conn = self.pool.get().await?;
        let opened: i64 = tokio::time::timeout(
            self.timeout,
            self.open
                .key(self.connections_key(user))
                .arg(now)
                .arg(unix_millis(lapse))
                .arg(max)
                .arg(connection)
                .invoke_async(&mut conn),
        )
        .await??;
        Ok(opened == 1)
    }

    /// Keeps the connection's place for another `lapse`.
    pub async fn renew_connection(
        &self,
        user: &str,
        connection: &str,
        lapse: Duration,
    ) -> anyhow::Result<()> {
        self.guarded(self.renew_now(user, connection, lapse)).await
    }

    async fn renew_now(&self, user: &str, connection: &str, lapse: Duration) -> anyhow::Result<()> {
        let until = unix_millis(lapse);
        let key = self.connections_key(user);
        let mut conn = self.pool.get().await?;
        let _: () = tokio::time::timeout(
            self.timeout,
            redis::pipe()
                .cmd("ZADD")
                .arg(&key)
                .arg("XX")
                .arg(until)
                .arg(connection)
                .ignore()
                .cmd("PEXPIREAT")
                .arg(&key)
                .arg(until)
                .ignore()
                .query_async(&mut conn),
        )
        .await??;
        Ok(())
    }

    pub async fn close_connection(&self, user: &str, connection: &str) -> anyhow::Result<()> {
        self.guarded(self.close_now(user, connection)).await
    }

    async fn close_now(&self, user: &str, connection: &str) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        let _: i64 = tokio::time::timeout(
            self.timeout,
            redis::cmd("ZREM")
                .arg(self.connections_key(user))
                .arg(connection)
                .query_async(&mut conn),
        )
        .await??;
        Ok(())
    }

    fn connections_key(&self, user: &str) -> String {
        format!("{}chat:connections:{user}", self.prefix)
    }
}

fn unix_millis(after: Duration) -> u64 {
    (SystemTime::now() + after)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

//! Rendered response pages, kept in the process while a generation in Redis stays the same.
//!
//! Every write that can change a page replaces the generation (`{prefix}{scope}:gen`) with a new
//! random token after it commits; a reader reads the generation (one `GET`), then looks its page
//! up in memory under that generation. A page rendered from data read before a write is stored
//! under the old generation, which no reader asks for any more, so a stale page is never served;
//! every replica sees the same generation. Tokens are random, not counted: a Redis that lost its
//! keys hands out a new token instead of an old number an entry may still be stored under.
//!
//! When Redis cannot say which generation is current, nothing is served from memory or stored.

use std::time::Duration;

use bytes::Bytes;
use rand::RngExt;

use crate::{Breaker, RedisPool};

const BREAKER_COOLDOWN: Duration = Duration::from_secs(5);
/// What the pages may hold in all, so the cache stays well inside the process's memory budget.
const CAPACITY_BYTES: u64 = 16 * 1024 * 1024;
/// A bound on staleness should a write's invalidation ever fail to reach Redis (logged).
const TIME_TO_LIVE: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct PageCache {
    redis: RedisPool,
    generation_key: String,
    pages: moka::sync::Cache<String, Bytes>,
    breaker: Breaker,
}

/// The generation a reader read: pages are looked up and stored under it.
pub struct Generation(Option<String>);

impl PageCache {
    /// Pages of `scope` (`songs:search`), their generation under `prefix`.
    pub fn new(redis: RedisPool, prefix: &str, scope: &str) -> Self {
        Self {
            redis,
            generation_key: format!("{prefix}{scope}:gen"),
            pages: moka::sync::Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|key: &String, page: &Bytes| {
                    u32::try_from(key.len() + page.len()).unwrap_or(u32::MAX)
                })
                .time_to_live(TIME_TO_LIVE)
                .build(),
            breaker: Breaker::new(BREAKER_COOLDOWN, "rendering pages without the page cache"),
        }
    }

    /// The current generation; an unknown one (Redis down) when it cannot be read.
    pub async fn generation(&self) -> Generation {
        if !self.breaker.closed() {
            return Generation(None);
        }
        let result: anyhow::Result<String> = async {
            let mut conn = self.redis.get().await?;
            let current: Option<String> = deadpool_redis::redis::cmd("GET")
                .arg(&self.generation_key)
                .query_async(&mut conn)
                .await?;
            if let Some(current) = current {
                return Ok(current);
            }
            // First reader after a start (or a Redis that lost its keys): a fresh token, unless
            // another reader set one first.
            let _: Option<String> = deadpool_redis::redis::cmd("SET")
                .arg(&self.generation_key)
                .arg(token())
                .arg("NX")
                .query_async(&mut conn)
                .await?;
            let current: Option<String> = deadpool_redis::redis::cmd("GET")
                .arg(&self.generation_key)
                .query_async(&mut conn)
                .await?;
            current.ok_or_else(|| anyhow::anyhow!("the page generation vanished"))
        }
        .await;
        match result {
            Ok(current) => Generation(Some(current)),
            Err(error) => {
                self.breaker.trip(&error);
                Generation(None)
            }
        }
    }

    pub fn get(&self, generation: &Generation, key: &str) -> Option<Bytes> {
        let generation = generation.0.as_deref()?;
        self.pages.get(&entry_key(generation, key))
    }

    pub fn put(&self, generation: &Generation, key: &str, page: Bytes) {
        if let Some(generation) = generation.0.as_deref() {
            self.pages.insert(entry_key(generation, key), page);
        }
    }

    /// Called after a write that changes pages commits: every replica's pages go stale at once.
    pub async fn invalidate(&self) {
        let result: anyhow::Result<()> = async {
            let mut conn = self.redis.get().await?;
            let _: () = deadpool_redis::redis::cmd("SET")
                .arg(&self.generation_key)
                .arg(token())
                .query_async(&mut conn)
                .await?;
            Ok(())
        }
        .await;
        if let Err(error) = result {
            // Readers stop using the cache while the breaker is open; pages older than the write
            // live at most TIME_TO_LIVE in processes that read Redis again before then.
            tracing::error!(%error, key = %self.generation_key, "cannot invalidate cached pages");
            self.breaker.trip(&error);
            self.pages.invalidate_all();
        }
    }
}

fn entry_key(generation: &str, key: &str) -> String {
    format!("{generation}\u{0}{key}")
}

fn token() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

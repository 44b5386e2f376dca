//! Rendered response pages, kept in the process while a generation in Redis stays the same.
//!
//! A generation covers a whole scope (`{prefix}{scope}:gen`: every song search page) or one
//! subject in it (`{prefix}{scope}:{id}:gen`: one album's page). Every write that can change a
//! page deletes the generation after it commits; a reader reads the generation (one round trip:
//! `SET NX GET` answers the current one or makes a fresh one), then looks its page up in memory
//! under that generation. A page rendered from data read before a write is stored under the old
//! generation, which no reader asks for any more, so a stale page is never served; every replica
//! sees the same generation. Tokens are random, not counted: a Redis that lost its keys hands out
//! a new token instead of an old number an entry may still be stored under.
//!
//! When Redis cannot say which generation is current, nothing is served from memory or stored.

use std::time::Duration;

use bytes::Bytes;
use rand::RngExt;

use crate::{Breaker, RedisPool};

const BREAKER_COOLDOWN: Duration = Duration::from_secs(5);
/// A bound on staleness should a write's invalidation ever fail to reach Redis (logged).
const TIME_TO_LIVE: Duration = Duration::from_secs(60);
/// Generations of subjects nobody reads leave Redis; the next reader makes a new one.
const GENERATION_SECONDS: u64 = 24 * 3600;

/// What a cache holds per page; its weight counts against the cache's capacity.
pub trait Page: Clone + Send + Sync + 'static {
    fn weight(&self) -> usize;
}

impl Page for Bytes {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// A page kept compressed (LZ4): a list page of JSON takes a third of the memory or less, and
/// decompressing it costs microseconds, far less than rendering it again.
#[derive(Clone)]
pub struct Packed(Bytes);

impl Packed {
    pub fn pack(page: &[u8]) -> Self {
        Self(Bytes::from(lz4_flex::compress_prepend_size(page)))
    }

    /// The page as rendered; `None` only if memory was corrupted (then it is rendered again).
    pub fn unpack(&self) -> Option<Bytes> {
        lz4_flex::decompress_size_prepended(&self.0)
            .ok()
            .map(Bytes::from)
    }
}

impl Page for Packed {
    fn weight(&self) -> usize {
        self.0.len()
    }
}

#[derive(Clone)]
pub struct PageCache<P: Page> {
    redis: RedisPool,
    scope_key: String,
    pages: moka::sync::Cache<String, P>,
    breaker: Breaker,
}

/// The generation a reader read: pages are looked up and stored under it.
pub struct Generation(Option<String>);

impl<P: Page> PageCache<P> {
    /// Pages of `scope` (`songs:search`), their generations under `prefix`, at most
    /// `capacity_bytes` of them in memory (the least used go first).
    pub fn new(redis: RedisPool, prefix: &str, scope: &str, capacity_bytes: u64) -> Self {
        Self {
            redis,
            scope_key: format!("{prefix}{scope}"),
            pages: moka::sync::Cache::builder()
                .max_capacity(capacity_bytes)
                .weigher(|key: &String, page: &P| {
                    u32::try_from(key.len() + page.weight()).unwrap_or(u32::MAX)
                })
                .time_to_live(TIME_TO_LIVE)
                .build(),
            breaker: Breaker::new(BREAKER_COOLDOWN, "rendering pages without the page cache"),
        }
    }

    /// The scope's current generation; an unknown one (Redis down) when it cannot be read.
    pub async fn generation(&self) -> Generation {
        self.read(format!("{}:gen", self.scope_key)).await
    }

    /// The current generation of one subject's pages (an album's).
    pub async fn generation_of(&self, id: &str) -> Generation {
        self.read(self.subject_key(id)).await
    }

    async fn read(&self, key: String) -> Generation {
        if !self.breaker.closed() {
            return Generation(None);
        }
        let fresh = token();
        let result: anyhow::Result<Option<String>> = async {
            let mut conn = self.redis.get().await?;
            // The current token, or none when this reader's fresh one became current (the first
            // reader after a write or a start, or a Redis that lost its keys).
            Ok(deadpool_redis::redis::cmd("SET")
                .arg(&key)
                .arg(&fresh)
                .arg("NX")
                .arg("GET")
                .arg("EX")
                .arg(GENERATION_SECONDS)
                .query_async(&mut conn)
                .await?)
        }
        .await;
        match result {
            Ok(current) => Generation(Some(current.unwrap_or(fresh))),
            Err(error) => {
                self.breaker.trip(&error);
                Generation(None)
            }
        }
    }

    /// The page stored under `key`, which must name everything the page depends on.
    pub fn get(&self, generation: &Generation, key: &str) -> Option<P> {
        let generation = generation.0.as_deref()?;
        self.pages.get(&entry_key(generation, key))
    }

    pub fn put(&self, generation: &Generation, key: &str, page: P) {
        if let Some(generation) = generation.0.as_deref() {
            self.pages.insert(entry_key(generation, key), page);
        }
    }

    /// Called after a write that changes the scope's pages commits: every replica's pages go
    /// stale at once.
    pub async fn invalidate(&self) {
        self.delete(vec![format!("{}:gen", self.scope_key)]).await;
    }

    /// Called after a write that changes these subjects' pages commits.
    pub async fn invalidate_of(&self, ids: &[&str]) {
        if !ids.is_empty() {
            self.delete(ids.iter().map(|id| self.subject_key(id)).collect())
                .await;
        }
    }

    async fn delete(&self, keys: Vec<String>) {
        let result: anyhow::Result<()> = async {
            let mut conn = self.redis.get().await?;
            let _: () = deadpool_redis::redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut conn)
                .await?;
            Ok(())
        }
        .await;
        if let Err(error) = result {
            // Readers stop using the cache while the breaker is open; pages older than the write
            // live at most TIME_TO_LIVE in processes that read Redis again before then.
            tracing::error!(%error, keys = ?keys, "cannot invalidate cached pages");
            self.breaker.trip(&error);
            self.pages.invalidate_all();
        }
    }

    fn subject_key(&self, id: &str) -> String {
        format!("{}:{id}:gen", self.scope_key)
    }
}

fn entry_key(generation: &str, key: &str) -> String {
    format!("{generation}\u{0}{key}")
}

fn token() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_page_unpacks_to_the_same_bytes_in_less_memory() {
        let page: Vec<u8> = (0..1000)
            .flat_map(|i| {
                format!(r#"{{"id":"song-{i}","title":"Song {i}","performer":"Band"}},"#)
                    .into_bytes()
            })
            .collect();
        let packed = Packed::pack(&page);
        assert!(
            packed.weight() * 3 < page.len(),
            "{} of {}",
            packed.weight(),
            page.len()
        );
        assert_eq!(packed.unpack().as_deref(), Some(&page[..]));
    }
}

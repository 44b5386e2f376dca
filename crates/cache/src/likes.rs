//! The album like count, cached in Redis.
//!
//! Each album has a generation (`{prefix}album:{id}:likes:gen`) that every like and unlike
//! increments after it commits, and one count entry (`{prefix}album:{id}:likes`) holding
//! `{generation}:{count}`. A reader fetches both in one `MGET` (one round trip) and uses the count
//! only when it was stored under the current generation. A reader that computed a count from the
//! database just before a write can only store it under the old generation, which no reader
//! accepts any more: a stale count can never be served, with no lock and no race window.
//!
//! Redis holds nothing that matters: when it is down, reads go to the database and a breaker
//! keeps requests from waiting on Redis for a few seconds at a time.

use std::time::Duration;

use backbeat_config::CacheSettings;
use backbeat_domain::ids::AlbumId;
use deadpool_redis::redis::AsyncCommands;

use crate::{Breaker, RedisPool};

const BREAKER_COOLDOWN: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct LikesCache {
    redis: RedisPool,
    prefix: String,
    ttl_secs: u64,
    breaker: Breaker,
}

/// What a cache read found: the generation it read (to store a fresh count under) and the count.
pub struct Lookup {
    generation: Option<u64>,
    pub count: Option<i64>,
}

impl LikesCache {
    pub fn new(redis: RedisPool, settings: &CacheSettings) -> Self {
        Self {
            redis,
            prefix: settings.prefix.clone(),
            ttl_secs: settings.likes_ttl_secs,
            breaker: Breaker::new(BREAKER_COOLDOWN, "serving likes from the database"),
        }
    }

    fn generation_key(&self, album_id: &AlbumId) -> String {
        format!("{}album:{album_id}:likes:gen", self.prefix)
    }

    fn count_key(&self, album_id: &AlbumId) -> String {
        format!("{}album:{album_id}:likes", self.prefix)
    }

    pub async fn lookup(&self, album_id: &AlbumId) -> Lookup {
        if !self.breaker.closed() {
            return Lookup {
                generation: None,
                count: None,
            };
        }
        let result: anyhow::Result<(u64, Option<i64>)> = async {
            let mut conn = self.redis.get().await?;
            let (generation, entry): (Option<u64>, Option<String>) = conn
                .mget(&[self.generation_key(album_id), self.count_key(album_id)])
                .await?;
            let generation = generation.unwrap_or(0);
            Ok((generation, entry.and_then(|e| count_of(&e, generation))))
        }
        .await;
        match result {
            Ok((generation, count)) => Lookup {
                generation: Some(generation),
                count,
            },
            Err(error) => {
                self.breaker.trip(&error);
                Lookup {
                    generation: None,
                    count: None,
                }
            }
        }
    }

    /// Stores a count computed after `lookup` missed.
    pub async fn store(&self, album_id: &AlbumId, lookup: &Lookup, count: i64) {
        let Some(generation) = lookup.generation else {
            return;
        };
        let result: anyhow::Result<()> = async {
            let mut conn = self.redis.get().await?;
            let _: () = conn
                .set_ex(
                    self.count_key(album_id),
                    format!("{generation}:{count}"),
                    self.ttl_secs,
                )
                .await?;
            Ok(())
        }
        .await;
        if let Err(error) = result {
            self.breaker.trip(&error);
        }
    }

    /// Called after a like or unlike commits: readers move to a new generation.
    pub async fn invalidate(&self, album_id: &AlbumId) {
        let key = self.generation_key(album_id);
        let result: anyhow::Result<()> = async {
            let mut conn = self.redis.get().await?;
            let _: u64 = conn.incr(&key, 1).await?;
            // Outlives every count entry stored under an older generation.
            let _: () = conn.expire(&key, (self.ttl_secs * 2 + 60) as i64).await?;
            Ok(())
        }
        .await;
        if let Err(error) = result {
            // Redis without persistence loses entries when it restarts; one that only became
            // unreachable keeps them up to their TTL. Logged so an operator can flush if needed.
            tracing::error!(%error, %album_id, "cannot invalidate the cached like count");
            self.breaker.trip(&error);
        }
    }
}

/// The count of a `{generation}:{count}` entry when it was stored under `generation`.
fn count_of(entry: &str, generation: u64) -> Option<i64> {
    let (stored, count) = entry.split_once(':')?;
    (stored.parse::<u64>().ok()? == generation)
        .then(|| count.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::count_of;

    #[test]
    fn a_count_stored_under_another_generation_is_not_served() {
        assert_eq!(count_of("3:42", 3), Some(42));
        assert_eq!(count_of("2:42", 3), None);
        assert_eq!(count_of("42", 0), None);
        assert_eq!(count_of("3:x", 3), None);
    }
}

//! One value per subject in Redis, served only while its subject's generation is unchanged.
//!
//! Each subject has a generation (`{key}:gen`) that every write incrementing it after it commits,
//! and one entry (`{key}`) holding `{generation}:{value}`. A reader fetches both in one `MGET`
//! (one round trip) and uses the value only when it was stored under the current generation. A
//! reader that computed a value from the database just before a write can only store it under the
//! old generation, which no reader accepts any more: a stale value can never be served, with no
//! lock and no race window.
//!
//! Redis holds nothing that matters: when it is down, reads go to the database and a breaker
//! keeps requests from waiting on Redis for a few seconds at a time.

use std::time::Duration;

use deadpool_redis::redis::AsyncCommands;

use crate::{Breaker, RedisPool};

const BREAKER_COOLDOWN: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Versioned {
    redis: RedisPool,
    ttl_secs: u64,
    breaker: Breaker,
}

/// What a read found: the generation it read (to store a fresh value under) and the value.
pub struct Lookup {
    generation: Option<u64>,
    pub value: Option<Vec<u8>>,
}

impl Versioned {
    /// Entries live `ttl_secs` at most; `fallback` names what happens while Redis is down (logged).
    pub fn new(redis: RedisPool, ttl_secs: u64, fallback: &'static str) -> Self {
        Self {
            redis,
            ttl_secs,
            breaker: Breaker::new(BREAKER_COOLDOWN, fallback),
        }
    }

    pub async fn lookup(&self, key: &str) -> Lookup {
        let miss = Lookup {
            generation: None,
            value: None,
        };
        if !self.breaker.closed() {
            return miss;
        }
        let result: anyhow::Result<(u64, Option<Vec<u8>>)> = async {
            let mut conn = self.redis.get().await?;
            let (generation, entry): (Option<u64>, Option<Vec<u8>>) =
                conn.mget(&[generation_key(key), key.to_owned()]).await?;
            let generation = generation.unwrap_or(0);
            Ok((generation, entry.and_then(|e| value_of(e, generation))))
        }
        .await;
        match result {
            Ok((generation, value)) => Lookup {
                generation: Some(generation),
                value,
            },
            Err(error) => {
                self.breaker.trip(&error);
                miss
            }
        }
    }

    /// Stores a value computed after `lookup` missed.
    pub async fn store(&self, key: &str, lookup: &Lookup, value: &[u8]) {
        let Some(generation) = lookup.generation else {
            return;
        };
        let mut entry = format!("{generation}:").into_bytes();
        entry.extend_from_slice(value);
        let result: anyhow::Result<()> = async {
            let mut conn = self.redis.get().await?;
            let _: () = conn.set_ex(key, entry, self.ttl_secs).await?;
            Ok(())
        }
        .await;
        if let Err(error) = result {
            self.breaker.trip(&error);
        }
    }

    /// Called after a write commits: readers move to a new generation.
    pub async fn invalidate(&self, key: &str) {
        let generation = generation_key(key);
        let result: anyhow::Result<()> = async {
            let mut conn = self.redis.get().await?;
            let _: u64 = conn.incr(&generation, 1).await?;
            // Outlives every entry stored under an older generation.
            let _: () = conn
                .expire(&generation, (self.ttl_secs * 2 + 60) as i64)
                .await?;
            Ok(())
        }
        .await;
        if let Err(error) = result {
            // Redis without persistence loses entries when it restarts; one that only became
            // unreachable keeps them up to their TTL. Logged so an operator can flush if needed.
            tracing::error!(%error, key, "cannot invalidate a cached value");
            self.breaker.trip(&error);
        }
    }
}

fn generation_key(key: &str) -> String {
    format!("{key}:gen")
}

/// The value of a `{generation}:{value}` entry when it was stored under `generation`.
fn value_of(mut entry: Vec<u8>, generation: u64) -> Option<Vec<u8>> {
    let colon = entry.iter().position(|&b| b == b':')?;
    let stored: u64 = std::str::from_utf8(&entry[..colon]).ok()?.parse().ok()?;
    (stored == generation).then(|| entry.split_off(colon + 1))
}

#[cfg(test)]
mod tests {
    use super::value_of;

    #[test]
    fn a_value_stored_under_another_generation_is_not_served() {
        assert_eq!(value_of(b"3:42".to_vec(), 3), Some(b"42".to_vec()));
        assert_eq!(
            value_of(b"3:{\"a\":1}".to_vec(), 3),
            Some(b"{\"a\":1}".to_vec())
        );
        assert_eq!(value_of(b"2:42".to_vec(), 3), None);
        assert_eq!(value_of(b"42".to_vec(), 0), None);
        assert_eq!(value_of(b"x:42".to_vec(), 3), None);
    }
}

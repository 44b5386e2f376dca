//! The album like count, cached in Redis under its album's generation (see [`Versioned`]): every
//! like and unlike moves the album to a new generation after it commits.

use backbeat_config::CacheSettings;
use backbeat_domain::ids::AlbumId;

use crate::RedisPool;
use crate::versioned::{Lookup as Entry, Versioned};

#[derive(Clone)]
pub struct LikesCache {
    counts: Versioned,
    prefix: String,
}

/// What a cache read found: the count, and what to store a fresh one under.
pub struct Lookup {
    entry: Entry,
    pub count: Option<i64>,
}

impl LikesCache {
    pub fn new(redis: RedisPool, settings: &CacheSettings) -> Self {
        Self {
            counts: Versioned::new(
                redis,
                settings.likes_ttl_secs,
                "serving likes from the database",
            ),
            prefix: settings.prefix.clone(),
        }
    }

    fn key(&self, album_id: &AlbumId) -> String {
        format!("{}album:{album_id}:likes", self.prefix)
    }

    pub async fn lookup(&self, album_id: &AlbumId) -> Lookup {
        let entry = self.counts.lookup(&self.key(album_id)).await;
        let count = entry
            .value
            .as_deref()
            .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok());
        Lookup { entry, count }
    }

    /// Stores a count computed after `lookup` missed.
    pub async fn store(&self, album_id: &AlbumId, lookup: &Lookup, count: i64) {
        self.counts
            .store(
                &self.key(album_id),
                &lookup.entry,
                count.to_string().as_bytes(),
            )
            .await;
    }

    /// Called after a like or unlike commits: readers move to a new generation.
    pub async fn invalidate(&self, album_id: &AlbumId) {
        self.counts.invalidate(&self.key(album_id)).await;
    }
}

//! The public video playlist as rendered, in Redis under one generation (see [`Versioned`]) that
//! every sync, visibility and tag change moves after it commits, so every API process serves the
//! same playlist and none serves a stale one.

use crate::RedisPool;
use crate::versioned::{Lookup, Versioned};

#[derive(Clone)]
pub struct PlaylistCache {
    bodies: Versioned,
    key: String,
}

impl PlaylistCache {
    pub fn new(redis: RedisPool, prefix: &str, ttl_secs: u64) -> Self {
        Self {
            bodies: Versioned::new(redis, ttl_secs, "rendering the video playlist uncached"),
            key: format!("{prefix}videos:playlist"),
        }
    }

    pub async fn lookup(&self) -> Lookup {
        self.bodies.lookup(&self.key).await
    }

    pub async fn store(&self, lookup: &Lookup, body: &[u8]) {
        self.bodies.store(&self.key, lookup, body).await;
    }

    pub async fn invalidate(&self) {
        self.bodies.invalidate(&self.key).await;
    }
}

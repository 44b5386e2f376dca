//! Redis for backbeat: only what may be lost (and pages kept in the process under a generation
//! read from Redis). Every cache entry is invalidated by the write that
//! makes it stale, and an outage degrades to uncached reads (the [`Breaker`] keeps requests from
//! waiting on a Redis that is down). The per-request [`Gate`] holds rate-limit state and a mirror
//! of changed accounts and revoked keys, which PostgreSQL stands in for while Redis is down and
//! the scheduler rewrites when it is lost. [`ChatRedis`] carries chat's fan-out between API
//! processes and counts each account's connections. Values that must never be served stale
//! across processes (like counts, the video playlist) are [`Versioned`].

pub mod access;
pub mod breaker;
pub mod chat;
pub mod likes;
pub mod pages;
pub mod pool;
pub mod versioned;
pub mod videos;

pub use access::Gate;
pub use breaker::Breaker;
pub use chat::ChatRedis;
pub use likes::LikesCache;
pub use pages::{Packed, Page, PageCache};
pub use pool::{RedisPool, ping};
pub use versioned::Versioned;
pub use videos::PlaylistCache;

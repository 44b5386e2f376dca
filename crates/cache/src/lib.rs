//! Redis for backbeat: only what may be lost. Every cache entry is invalidated by the write that
//! makes it stale, and an outage degrades to uncached reads (the [`Breaker`] keeps requests from
//! waiting on a Redis that is down). Rate-limit counters and chat fan-out will join here.

pub mod breaker;
pub mod likes;
pub mod pool;

pub use breaker::Breaker;
pub use likes::LikesCache;
pub use pool::{RedisPool, ping};

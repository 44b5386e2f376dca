//! A circuit breaker for Redis: after a failure, callers skip Redis for a few seconds instead of
//! each waiting for its timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone)]
pub struct Breaker {
    /// Unix millis until which Redis is considered down.
    down_until: Arc<AtomicU64>,
    cooldown: Duration,
    what: &'static str,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Breaker {
    /// `what` names the degraded behaviour in the log ("serving likes from the database").
    pub fn new(cooldown: Duration, what: &'static str) -> Self {
        Self {
            down_until: Arc::new(AtomicU64::new(0)),
            cooldown,
            what,
        }
    }

    /// Whether Redis may be tried now.
    pub fn closed(&self) -> bool {
        now_ms() >= self.down_until.load(Ordering::Relaxed)
    }

    /// Records a failure: Redis is skipped for the cool-down.
    pub fn trip(&self, error: &dyn std::fmt::Display) {
        tracing::warn!(%error, "Redis unavailable; {}", self.what);
        self.down_until.store(
            now_ms() + self.cooldown.as_millis() as u64,
            Ordering::Relaxed,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trip_opens_the_breaker_for_the_cooldown() {
        let breaker = Breaker::new(Duration::from_millis(50), "testing");
        assert!(breaker.closed());
        breaker.trip(&"boom");
        assert!(!breaker.closed());
        std::thread::sleep(Duration::from_millis(60));
        assert!(breaker.closed());
    }
}

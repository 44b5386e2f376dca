//! How many songs the catalog holds, roughly: the search plans per request only when it pays.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use backbeat_db::AsyncPgConnection;
use backbeat_db::plans;

use crate::Result;

/// Below this many songs a search's cached plan is as good as one made for its terms (a rare
/// term's worst case, filtering every row, stays near a millisecond) and planning costs more.
pub const PLAN_PER_SEARCH_FROM: i64 = 5_000;

const REFRESH: Duration = Duration::from_secs(60);

/// The planner's row estimate for `songs`, read at most once a minute per process.
pub struct SongCount {
    started: Instant,
    rows: AtomicI64,
    /// When `rows` was read, in milliseconds since `started`; `u64::MAX` before the first read.
    read_at_ms: AtomicU64,
}

impl Default for SongCount {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            rows: AtomicI64::new(0),
            read_at_ms: AtomicU64::new(u64::MAX),
        }
    }
}

impl SongCount {
    /// The estimate, refreshed on `conn` by the first caller after it has aged.
    pub async fn estimate(&self, conn: &mut AsyncPgConnection) -> Result<i64> {
        let now = self.started.elapsed().as_millis() as u64;
        let read_at = self.read_at_ms.load(Ordering::Relaxed);
        let stale =
            read_at == u64::MAX || now.saturating_sub(read_at) >= REFRESH.as_millis() as u64;
        // One caller refreshes; the others go on with the previous figure.
        if stale
            && self
                .read_at_ms
                .compare_exchange(read_at, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            match plans::estimated_rows(conn, "songs").await {
                Ok(rows) => self.rows.store(rows, Ordering::Relaxed),
                Err(error) => {
                    self.read_at_ms.store(read_at, Ordering::Relaxed);
                    return Err(error.into());
                }
            }
        }
        Ok(self.rows.load(Ordering::Relaxed))
    }
}

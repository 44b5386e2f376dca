//! Background jobs: what a job is ([`Job`]), the registry of every kind ([`JobKind`]), how to
//! enqueue one inside the caller's transaction ([`enqueue`]), and the outbox relay that hands
//! committed jobs to RabbitMQ. The worker's consumer runs them through [`JobKind::run`].
//!
//! Adding a kind: a module in its area with a payload type that implements [`Job`], and one line
//! in [`kinds`].

mod error;
pub mod kinds;
pub mod relay;
mod run;
pub mod sweep;
pub mod view;

use std::future::Future;
use std::time::Duration;

use backbeat_config::{JobSettings, Settings};
use backbeat_db::AsyncPgConnection;
use backbeat_db::jobs::NewJob;
use backbeat_domain::ids::{JobId, UserId};
use backbeat_queue::Topology;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Context, Result};

pub use error::JobError;
pub use kinds::JobKind;
pub use relay::Relay;
pub use run::JobRun;

/// One kind of background work: its payload is the implementing type, its name is its line in
/// [`kinds`]. Handlers are idempotent: a job may run again after a crash or a redelivery.
pub trait Job: Serialize + DeserializeOwned + Send + Sized + 'static {
    /// Attempts before the job is dead; `None`: `jobs.max_attempts`.
    const MAX_ATTEMPTS: Option<u32> = None;
    /// Jobs of this kind one worker runs at once; `None`: `jobs.prefetch`.
    const CONCURRENCY: Option<u16> = None;

    /// Does the work and returns the job's `result`.
    fn run(
        self,
        ctx: &Context,
        job: &JobRun,
    ) -> impl Future<Output = Result<Value, JobError>> + Send;
}

/// Who asked for a job: shown to its owner at `GET /jobs/{id}`, and the request id follows the
/// job into the worker's logs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    pub user: Option<&'a UserId>,
    pub request_id: Option<&'a str>,
}

/// Writes the job and its outbox row. Call it inside the transaction of the change that motivates
/// the job: both commit or neither does, and the relays are woken by the commit itself
/// (PostgreSQL delivers the NOTIFY then), so the job is published at once.
pub async fn enqueue<J: Job + kinds::Registered>(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    job: &J,
    origin: Origin<'_>,
) -> Result<JobId> {
    let id = JobId::generate();
    let kind = J::KIND;
    let payload = serde_json::to_value(job).map_err(crate::Error::internal)?;
    let max_attempts = i32::try_from(kind.max_attempts(&ctx.settings.jobs)).unwrap_or(i32::MAX);
    // The caller's trace (a request's, or a parent job's) continues in the job.
    let trace_parent = backbeat_telemetry::traceparent();
    backbeat_db::jobs::insert(
        conn,
        NewJob {
            id: &id,
            kind: kind.as_str(),
            payload,
            max_attempts,
            user_id: origin.user,
            request_id: origin.request_id,
            trace_parent: trace_parent.as_deref(),
        },
    )
    .await?;
    tracing::info!(job_id = %id, %kind, "job queued");
    Ok(id)
}

/// Like [`enqueue`] with a chosen id; a job with that id already there is left alone (`false`).
/// Lets a job that may run again (after a crash) enqueue its sub-jobs exactly once.
pub async fn enqueue_once<J: Job + kinds::Registered>(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    id: &JobId,
    job: &J,
    origin: Origin<'_>,
) -> Result<bool> {
    let kind = J::KIND;
    let payload = serde_json::to_value(job).map_err(crate::Error::internal)?;
    let max_attempts = i32::try_from(kind.max_attempts(&ctx.settings.jobs)).unwrap_or(i32::MAX);
    let trace_parent = backbeat_telemetry::traceparent();
    Ok(backbeat_db::jobs::insert_once(
        conn,
        NewJob {
            id,
            kind: kind.as_str(),
            payload,
            max_attempts,
            user_id: origin.user,
            request_id: origin.request_id,
            trace_parent: trace_parent.as_deref(),
        },
    )
    .await?)
}

/// The queues of every registered kind.
pub fn topology(settings: &Settings) -> Topology {
    Topology::new(
        &settings.rabbitmq,
        JobKind::ALL.iter().map(|kind| kind.as_str()),
    )
}

/// The longest a retry waits, whatever the attempt.
const RETRY_MAX: Duration = Duration::from_secs(3600);

/// The back-off before the retry that follows failed attempt `attempt` (1-based):
/// `jobs.retry_base_ms * 2^(attempt-1)`, at most an hour.
pub fn retry_delay(settings: &JobSettings, attempt: u32) -> Duration {
    let base = Duration::from_millis(settings.retry_base_ms);
    base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(RETRY_MAX)
}

/// How long a running attempt's heartbeat stays good; a worker renews it four times as often.
pub fn lease(settings: &JobSettings) -> Duration {
    Duration::from_secs(settings.lease_secs.max(1))
}

impl JobKind {
    pub fn max_attempts(self, settings: &JobSettings) -> u32 {
        self.declared_max_attempts()
            .unwrap_or(settings.max_attempts)
            .max(1)
    }

    pub fn concurrency(self, settings: &JobSettings) -> u16 {
        self.declared_concurrency()
            .unwrap_or(settings.prefetch)
            .max(1)
    }
}

/// Jobs committed but not yet handed to RabbitMQ: grows while the broker is unreachable.
pub async fn backlog(ctx: &Context) -> Result<i64> {
    Ok(backbeat_db::outbox::pending_count(&mut *ctx.conn().await?).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let settings = JobSettings {
            max_attempts: 5,
            retry_base_ms: 2000,
            prefetch: 8,
            relay_interval_ms: 1000,
            relay_batch: 200,
            shutdown_grace_secs: 30,
            nice: 0,
            lease_secs: 60,
            stalled_after_secs: 120,
        };
        assert_eq!(retry_delay(&settings, 1), Duration::from_secs(2));
        assert_eq!(retry_delay(&settings, 4), Duration::from_secs(16));
        assert_eq!(retry_delay(&settings, 40), RETRY_MAX);
    }
}

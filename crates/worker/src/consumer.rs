//! The thin shell around the jobs: consume, run, record the outcome, then acknowledge.
//!
//! Each kind is consumed on a channel of its own whose prefetch is that kind's concurrency, so a
//! flood of one kind cannot take the slots of another.
//!
//! A message is acknowledged only after the job's outcome is committed. Success → `succeeded`.
//! A temporary failure → `failed` and a copy goes to the delay queue of that attempt (it comes
//! back after the back-off), until `max_attempts`, then `dead`. A permanent failure, a panic, a
//! message that is not ours, or the last attempt → `dead` and a copy in the dead-letter queue.
//! If recording the outcome fails (database down), the message is returned to the queue.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use backbeat_db::jobs::{self, Job};
use backbeat_domain::ids::JobId;
use backbeat_domain::jobs::JobStatus;
use backbeat_queue::publish::{confirm_channel, properties, publish};
use backbeat_queue::{Broker, JobMessage, QueueError, Topology};
use backbeat_services::Context;
use backbeat_services::jobs::{JobError, JobKind, JobRun};
use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel};
use serde_json::Value;
use tokio::task::JoinSet;
use tracing::Instrument;

/// Runs the handler in its own task, so that a panic fails this job only.
pub async fn isolated<F>(job: F) -> Result<Value, JobError>
where
    F: Future<Output = Result<Value, JobError>> + Send + 'static,
{
    match tokio::spawn(job).await {
        Ok(outcome) => outcome,
        Err(error) if error.is_panic() => {
            let panic = error.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(JobError::Permanent(format!("job panicked: {message}")))
        }
        Err(error) => Err(JobError::Retry(format!("job task cancelled: {error}"))),
    }
}

pub struct Consumer {
    pub ctx: Arc<Context>,
    pub broker: Broker,
    pub topology: Topology,
    pub grace: Duration,
    pub name: String,
    /// Set while consuming, for `/health/ready` and the `consumer_connected` gauge.
    pub consuming: crate::endpoint::Consuming,
}

/// Why the consume loop returned.
pub enum Stopped {
    Shutdown,
    Disconnected(QueueError),
}

impl Consumer {
    /// Consumes until `shutdown` resolves (then drains in-flight jobs) or the connection drops.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Stopped {
        match self.consume(shutdown).await {
            Ok(()) => Stopped::Shutdown,
            Err(error) => Stopped::Disconnected(error),
        }
    }

    async fn consume(&self, shutdown: impl Future<Output = ()>) -> Result<(), QueueError> {
        let connection = self.broker.connection().await?;
        self.topology.declare(&connection).await?;
        let publisher = Arc::new(confirm_channel(&connection).await?);
        let mut streams = Vec::new();
        let mut consumers = Vec::new();
        for kind in JobKind::ALL.iter().copied() {
            let channel = connection.create_channel().await?;
            let concurrency = kind.concurrency(&self.ctx.settings.jobs);
            channel
                .basic_qos(concurrency, BasicQosOptions::default())
                .await?;
            let tag = format!("{}.{kind}", self.name);
            let consumer = channel
                .basic_consume(
                    self.topology.queue(kind.as_str()).as_str().into(),
                    tag.as_str().into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            tracing::debug!(%kind, concurrency, "consuming");
            consumers.push((channel, tag));
            streams.push(consumer.map(move |delivery| (kind, delivery)));
        }
        let mut deliveries = futures_util::stream::select_all(streams);
        let mut in_flight = JoinSet::new();
        tracing::info!(kinds = consumers.len(), "consuming jobs");
        self.consuming.set(true);
        tokio::pin!(shutdown);
        let result = loop {
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                next = deliveries.next() => match next {
                    Some((kind, Ok(delivery))) => {
                        let ctx = Arc::clone(&self.ctx);
                        let topology = self.topology.clone();
                        let publisher = Arc::clone(&publisher);
                        in_flight.spawn(async move { process(ctx, topology, publisher, kind, delivery).await });
                    }
                    Some((_, Err(error))) => break Err(QueueError::from(error)),
                    None => break Err(QueueError::Unavailable("consumer stream ended".to_owned())),
                },
            }
        };
        self.consuming.set(false);
        // Stop new deliveries, then let the jobs in hand finish; whatever is still unacknowledged
        // when the channel closes goes back to the queue for another worker.
        for (channel, tag) in &consumers {
            let _ = channel
                .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
                .await;
        }
        if !in_flight.is_empty() {
            tracing::info!(
                jobs = in_flight.len(),
                grace_secs = self.grace.as_secs(),
                "finishing in-flight jobs"
            );
        }
        let drained = tokio::time::timeout(self.grace, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                jobs = in_flight.len(),
                "grace period over; unfinished jobs will be redelivered"
            );
            in_flight.abort_all();
        }
        for (channel, _) in &consumers {
            let _ = channel.close(200, "worker stopping".into()).await;
        }
        let _ = publisher.close(200, "worker stopping".into()).await;
        result
    }
}

async fn process(
    ctx: Arc<Context>,
    topology: Topology,
    publisher: Arc<Channel>,
    kind: JobKind,
    delivery: Delivery,
) {
    let message: JobMessage = match serde_json::from_slice(&delivery.data) {
        Ok(message) => message,
        Err(error) => {
            tracing::error!(%kind, %error, "unreadable message; dead-lettering it");
            return dead_letter(
                &topology,
                &publisher,
                kind,
                &delivery,
                &format!("unreadable message: {error}"),
            )
            .await;
        }
    };
    let span = tracing::info_span!(
        "job",
        job_id = %message.job_id,
        %kind,
        request_id = message.request_id.as_deref().unwrap_or(""),
        attempt = tracing::field::Empty,
    );
    let job_id = JobId::from(message.job_id);
    async move {
        let job = match start(&ctx, &job_id, delivery.redelivered).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                return settle_unstartable(&ctx, &topology, &publisher, kind, &delivery, &job_id)
                    .await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot start job; returning it to the queue");
                return requeue(&delivery).await;
            }
        };
        tracing::Span::current().record("attempt", job.attempts);
        tracing::info!("job started");
        let started = std::time::Instant::now();
        crate::endpoint::in_flight(kind.as_str(), 1.0);
        let outcome = isolated(kind.run(
            Arc::clone(&ctx),
            JobRun::from_row(&job),
            job.payload.clone(),
        ))
        .await;
        crate::endpoint::in_flight(kind.as_str(), -1.0);
        let elapsed = started.elapsed();
        let verdict = record(&ctx, &topology, &publisher, kind, &delivery, &job, outcome).await;
        if let Some(verdict) = verdict {
            crate::endpoint::job_finished(kind.as_str(), verdict, elapsed);
        }
    }
    .instrument(span)
    .await;
}

async fn start(ctx: &Context, job_id: &JobId, redelivered: bool) -> Result<Option<Job>, JobError> {
    Ok(jobs::start_attempt(&mut *ctx.conn().await?, job_id, redelivered).await?)
}

/// A message whose job cannot start: finished already (a redelivery) or running in another
/// worker (a duplicate): acknowledge and skip; unknown (not ours): dead-letter.
async fn settle_unstartable(
    ctx: &Context,
    topology: &Topology,
    publisher: &Channel,
    kind: JobKind,
    delivery: &Delivery,
    job_id: &JobId,
) {
    match ctx.conn().await {
        Ok(mut conn) => match jobs::find(&mut conn, job_id).await {
            Ok(Some(job)) if job.status == JobStatus::Running => {
                tracing::info!("job already running elsewhere; skipping the duplicate message");
                ack(delivery).await;
            }
            Ok(Some(job)) => {
                tracing::info!(status = %job.status, "job already finished; skipping the redelivered message");
                ack(delivery).await;
            }
            Ok(None) => {
                tracing::error!("no such job; dead-lettering the message");
                dead_letter(topology, publisher, kind, delivery, "no such job").await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot look the job up; returning it to the queue");
                requeue(delivery).await;
            }
        },
        Err(error) => {
            tracing::warn!(%error, "cannot look the job up; returning it to the queue");
            requeue(delivery).await;
        }
    }
}

async fn record(
    ctx: &Context,
    topology: &Topology,
    publisher: &Channel,
    kind: JobKind,
    delivery: &Delivery,
    job: &Job,
    outcome: Result<Value, JobError>,
) -> Option<&'static str> {
    let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
    let max = u32::try_from(job.max_attempts).unwrap_or(1);
    let retry_later = matches!(outcome, Err(JobError::Retry(_))) && attempts < max;
    let committed: Result<(), JobError> = async {
        let mut conn = ctx.conn().await?;
        match &outcome {
            Ok(result) => jobs::succeed(&mut conn, &job.id, result).await?,
            Err(JobError::Retry(error)) if retry_later => {
                jobs::fail(&mut conn, &job.id, error, false).await?
            }
            Err(JobError::Retry(error)) => {
                jobs::fail(
                    &mut conn,
                    &job.id,
                    &format!("gave up after {attempts} attempts: {error}"),
                    true,
                )
                .await?
            }
            Err(JobError::Permanent(error)) => jobs::fail(&mut conn, &job.id, error, true).await?,
        }
        Ok(())
    }
    .await;
    if let Err(error) = committed {
        tracing::warn!(%error, "cannot record the outcome; returning the message to the queue");
        requeue(delivery).await;
        return None;
    }
    match outcome {
        Ok(_) => {
            tracing::info!("job succeeded");
            ack(delivery).await;
            Some("succeeded")
        }
        Err(JobError::Retry(error)) if retry_later => {
            let queue = topology.retry_queue(kind.as_str(), attempts);
            tracing::warn!(%error, retry_queue = %queue, "job failed; will retry");
            forward(publisher, &queue, delivery, &error).await;
            Some("retried")
        }
        Err(error) => {
            tracing::error!(%error, "job is dead");
            dead_letter(topology, publisher, kind, delivery, &error.to_string()).await;
            Some("dead")
        }
    }
}

async fn dead_letter(
    topology: &Topology,
    publisher: &Channel,
    kind: JobKind,
    delivery: &Delivery,
    error: &str,
) {
    forward(
        publisher,
        &topology.dead_queue(kind.as_str()),
        delivery,
        error,
    )
    .await;
}

/// Copies the message to `queue` (confirmed), then acknowledges the original. If the copy
/// fails, the original goes back to its queue instead: never lost.
async fn forward(publisher: &Channel, queue: &str, delivery: &Delivery, error: &str) {
    let props = forwarded_properties(&delivery.properties, error);
    match publish(publisher, "", queue, &delivery.data, props).await {
        Ok(()) => ack(delivery).await,
        Err(publish_error) => {
            tracing::warn!(%publish_error, queue, "cannot forward the message; returning it to the queue");
            requeue(delivery).await;
        }
    }
}

fn forwarded_properties(original: &BasicProperties, error: &str) -> BasicProperties {
    let message = JobMessage {
        job_id: original
            .message_id()
            .as_ref()
            .map(|id| id.to_string())
            .unwrap_or_default(),
        request_id: original
            .headers()
            .as_ref()
            .and_then(|h| h.inner().get("x-request-id"))
            .and_then(|v| v.as_long_string())
            .map(|v| v.to_string()),
    };
    let error: String = error.chars().take(500).collect();
    properties(&message, &[("x-error", error)])
}

async fn ack(delivery: &Delivery) {
    if let Err(error) = delivery.ack(BasicAckOptions::default()).await {
        tracing::warn!(%error, "ack failed; the message will be redelivered and skipped");
    }
}

async fn requeue(delivery: &Delivery) {
    // Give a struggling dependency a moment before the message comes straight back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    if let Err(error) = delivery
        .nack(BasicNackOptions {
            requeue: true,
            ..BasicNackOptions::default()
        })
        .await
    {
        tracing::warn!(%error, "nack failed; the broker will redeliver when the channel closes");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_job_fails_alone() {
        let outcome = isolated(async { panic!("boom") }).await;
        assert!(
            matches!(outcome, Err(JobError::Permanent(ref e)) if e.contains("boom")),
            "{outcome:?}"
        );
        let outcome = isolated(async { Ok(serde_json::json!({"ok": true})) }).await;
        assert_eq!(outcome.ok(), Some(serde_json::json!({"ok": true})));
    }
}

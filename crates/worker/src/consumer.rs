//! The thin shell around the jobs: consume, start, run, record the outcome.
//!
//! Each kind is consumed on a channel of its own and runs at most that kind's concurrency at once
//! (a slot each), so a flood of one kind cannot take the slots of another.
//!
//! The jobs table, not the broker, holds a job once it runs: a message is acknowledged as soon as
//! its attempt is committed as started, and the attempt renews its heartbeat while it runs. So no
//! delivery stays unacknowledged for longer than it waits for a slot (at most [`SLOT_WAIT`]), and
//! RabbitMQ's `consumer_timeout` (30 minutes by default, after which it closes the channel) never
//! cuts a long job short. A worker that dies mid-job leaves a `running` row whose heartbeat goes
//! stale; the sweeper (`backbeat_services::jobs::sweep`) hands it to another worker.
//!
//! Success → `succeeded`. A temporary failure → `retrying`, with the next attempt's time and the
//! outbox row that the relays publish then (the back-off lives in PostgreSQL), until
//! `max_attempts`, then `dead`. A permanent failure, a panic or the last attempt → `dead`, with a
//! copy of the message in the dead-letter queue for operators; a message that is not ours goes
//! there too.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backbeat_db::jobs::{self, Job, Unstartable};
use backbeat_domain::ids::JobId;
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
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

/// How long a delivery waits for a free slot of its kind before it goes back to the queue
/// (for this or another worker): far below RabbitMQ's `consumer_timeout`.
const SLOT_WAIT: Duration = Duration::from_secs(60);

/// Runs the handler in its own task, so that a panic fails this job only.
pub async fn isolated<F>(job: F) -> Result<Value, JobError>
where
    F: Future<Output = Result<Value, JobError>> + Send + 'static,
{
    // In the job's span: its log lines and its calls' spans belong to the job.
    match tokio::spawn(job.in_current_span()).await {
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
    /// The jobs this process runs; they outlive a lost broker connection.
    pub running: Running,
}

/// The attempts in progress in this process, kept across reconnections.
#[derive(Default)]
pub struct Running {
    tasks: tokio::sync::Mutex<JoinSet<()>>,
    /// Each running job's attempt, so that jobs cut off at shutdown can be handed back.
    attempts: Arc<Mutex<HashMap<JobId, i32>>>,
    /// Per kind, its concurrency.
    slots: Mutex<HashMap<JobKind, Arc<Semaphore>>>,
}

impl Running {
    /// No delivery starts a job from now on: those waiting for a slot go back to the queue.
    fn stop(&self) {
        for slots in self
            .slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            slots.close();
        }
    }

    fn slots(&self, kind: JobKind, concurrency: u16) -> Arc<Semaphore> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            slots
                .entry(kind)
                .or_insert_with(|| Arc::new(Semaphore::new(usize::from(concurrency)))),
        )
    }
}

/// Why the consume loop returned.
pub enum Stopped {
    Shutdown,
    Disconnected(QueueError),
}

impl Consumer {
    /// Consumes until `shutdown` resolves or the connection drops. Running jobs go on either
    /// way; [`Consumer::finish`] waits for them at the end.
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
            // As many deliveries in hand as the kind has slots: a delivery waits for a slot
            // only while every slot's job is about to finish or is being acknowledged.
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
            let slots = self.running.slots(kind, concurrency);
            consumers.push((channel, tag));
            streams.push(consumer.map(move |delivery| (kind, Arc::clone(&slots), delivery)));
        }
        let mut deliveries = futures_util::stream::select_all(streams);
        tracing::info!(kinds = consumers.len(), "consuming jobs");
        self.consuming.set(true);
        tokio::pin!(shutdown);
        let result = loop {
            tokio::select! {
                () = &mut shutdown => break Ok(()),
                next = deliveries.next() => match next {
                    Some((kind, slots, Ok(delivery))) => {
                        let process = Process {
                            ctx: Arc::clone(&self.ctx),
                            topology: self.topology.clone(),
                            publisher: Arc::clone(&publisher),
                            attempts: Arc::clone(&self.running.attempts),
                            kind,
                        };
                        let mut tasks = self.running.tasks.lock().await;
                        // Reap the finished ones as we go.
                        while tasks.try_join_next().is_some() {}
                        tasks.spawn(process.run(delivery, slots));
                    }
                    Some((_, _, Err(error))) => break Err(QueueError::from(error)),
                    None => break Err(QueueError::Unavailable("consumer stream ended".to_owned())),
                },
            }
        };
        self.consuming.set(false);
        for (channel, tag) in &consumers {
            let _ = channel
                .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
                .await;
        }
        if result.is_ok() {
            // Stopping: deliveries waiting for a slot go back to the queue with the channels.
            self.running.stop();
            for (channel, _) in &consumers {
                let _ = channel.close(200, "worker stopping".into()).await;
            }
        }
        result
    }

    /// Lets the jobs in hand finish, up to the grace period; those still running then are
    /// stopped and handed back (queued again at once), so another worker takes them without
    /// waiting for their heartbeat to go stale.
    pub async fn finish(&self) {
        let mut tasks = self.running.tasks.lock().await;
        while tasks.try_join_next().is_some() {}
        if tasks.is_empty() {
            return;
        }
        tracing::info!(
            jobs = tasks.len(),
            grace_secs = self.grace.as_secs(),
            "finishing in-flight jobs"
        );
        let drained = tokio::time::timeout(self.grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_ok() {
            return;
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let cut_off: Vec<(JobId, i32)> = self
            .running
            .attempts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        tracing::warn!(
            jobs = cut_off.len(),
            "grace period over; handing the unfinished jobs back"
        );
        for (id, attempt) in cut_off {
            let released = match self.ctx.conn().await {
                Ok(mut conn) => jobs::release(&mut conn, &id, attempt)
                    .await
                    .map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            if let Err(error) = released {
                tracing::warn!(job_id = %id, %error, "cannot hand the job back; the sweeper will once its heartbeat is stale");
            }
        }
    }
}

/// One delivery's journey, with what it needs.
struct Process {
    ctx: Arc<Context>,
    topology: Topology,
    publisher: Arc<Channel>,
    attempts: Arc<Mutex<HashMap<JobId, i32>>>,
    kind: JobKind,
}

impl Process {
    async fn run(self, delivery: Delivery, slots: Arc<Semaphore>) {
        let kind = self.kind;
        let message: JobMessage = match serde_json::from_slice(&delivery.data) {
            Ok(message) => message,
            Err(error) => {
                tracing::error!(%kind, %error, "unreadable message; dead-lettering it");
                let reason = format!("unreadable message: {error}");
                return self.dead_letter(&delivery, &reason).await;
            }
        };
        let span = tracing::info_span!(
            "job",
            job_id = %message.job_id,
            %kind,
            request_id = message.request_id.as_deref().unwrap_or(""),
            attempt = tracing::field::Empty,
        );
        // One trace from the request through the outbox and the broker to here.
        backbeat_telemetry::set_parent(&span, message.trace_parent.as_deref());
        let job_id = JobId::from(message.job_id);
        self.attempt(delivery, slots, job_id).instrument(span).await;
    }

    async fn attempt(self, delivery: Delivery, slots: Arc<Semaphore>, job_id: JobId) {
        let Ok(Ok(_slot)) = tokio::time::timeout(SLOT_WAIT, slots.acquire_owned()).await else {
            tracing::info!(
                "no slot of this kind came free (busy, or stopping); returning the message to the queue"
            );
            return requeue(&delivery).await;
        };
        let lease = backbeat_services::jobs::lease(&self.ctx.settings.jobs);
        let started = match self.ctx.conn().await {
            Ok(mut conn) => jobs::start_attempt(&mut conn, &job_id, lease)
                .await
                .map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        let job = match started {
            Ok(Ok(job)) => job,
            Ok(Err(why)) => return self.settle_unstartable(&delivery, why).await,
            Err(error) => {
                tracing::warn!(%error, "cannot start job; returning it to the queue");
                return requeue(&delivery).await;
            }
        };
        // The row holds the job now; a lost ack only brings a duplicate, which is skipped.
        ack(&delivery).await;
        self.track(&job, true);
        tracing::Span::current().record("attempt", job.attempts);
        tracing::info!("job started");
        let kind = self.kind;
        let started = std::time::Instant::now();
        crate::endpoint::in_flight(kind.as_str(), 1.0);
        let run = isolated(kind.run(
            Arc::clone(&self.ctx),
            JobRun::from_row(&job),
            job.payload.clone(),
        ));
        let outcome = with_heartbeat(&self.ctx, &job, lease, run).await;
        crate::endpoint::in_flight(kind.as_str(), -1.0);
        let elapsed = started.elapsed();
        let verdict = self.record(&delivery, &job, outcome).await;
        self.track(&job, false);
        crate::endpoint::job_finished(kind.as_str(), verdict, elapsed);
    }

    fn track(&self, job: &Job, running: bool) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if running {
            attempts.insert(job.id.clone(), job.attempts);
        } else {
            attempts.remove(&job.id);
        }
    }

    /// A message whose job cannot start now: acknowledged (the job's row or its outbox row
    /// carries what is left to do), or dead-lettered when no job is ours by that id.
    async fn settle_unstartable(&self, delivery: &Delivery, why: Unstartable) {
        match why {
            Unstartable::RunningElsewhere => {
                tracing::info!("job already running elsewhere; skipping the duplicate message");
                ack(delivery).await;
            }
            Unstartable::Finished(status) => {
                tracing::info!(%status, "job already finished; skipping the redelivered message");
                ack(delivery).await;
            }
            Unstartable::NotDue(due) => {
                tracing::info!(%due, "job's retry is not due yet; its scheduled message will bring it");
                ack(delivery).await;
            }
            Unstartable::GaveUp => {
                tracing::error!(
                    "the worker running this job's last attempt stopped; the job is dead"
                );
                self.dead_letter(delivery, "worker lost during the last attempt")
                    .await;
            }
            Unstartable::Unknown => {
                tracing::error!("no such job; dead-lettering the message");
                self.dead_letter(delivery, "no such job").await;
            }
        }
    }

    /// Commits the attempt's outcome, trying again for a while if the database is unreachable
    /// (else the job stays `running`, its heartbeat goes stale, and the sweeper runs it again).
    async fn record(
        &self,
        delivery: &Delivery,
        job: &Job,
        outcome: Result<Value, JobError>,
    ) -> &'static str {
        let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
        let max = u32::try_from(job.max_attempts).unwrap_or(1);
        let retry_later = matches!(outcome, Err(JobError::Retry(_))) && attempts < max;
        let delay = backbeat_services::jobs::retry_delay(&self.ctx.settings.jobs, attempts);
        let mut wait = Duration::from_millis(250);
        let committed = loop {
            match self.commit(job, &outcome, retry_later, delay).await {
                Ok(committed) => break committed,
                Err(error) if wait > Duration::from_secs(8) => {
                    tracing::error!(%error, "cannot record the outcome; the job will run again once its heartbeat is stale");
                    return "unrecorded";
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = wait.as_millis() as u64, "cannot record the outcome yet");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        };
        let Some(next_attempt_at) = committed else {
            tracing::warn!("this attempt was taken over by another worker; its outcome is dropped");
            return "superseded";
        };
        match outcome {
            Ok(_) => {
                tracing::info!("job succeeded");
                "succeeded"
            }
            Err(JobError::Retry(error)) if retry_later => {
                tracing::warn!(%error, %next_attempt_at, retry_in_ms = delay.as_millis() as u64, "job failed; will retry");
                "retried"
            }
            Err(error) => {
                tracing::error!(%error, "job is dead");
                self.copy_to_dead_letters(delivery, &error.to_string())
                    .await;
                "dead"
            }
        }
    }

    /// `None` when the attempt had been superseded; else the next attempt's time (empty when
    /// none follows).
    async fn commit(
        &self,
        job: &Job,
        outcome: &Result<Value, JobError>,
        retry_later: bool,
        delay: Duration,
    ) -> Result<Option<String>, String> {
        let mut conn = self.ctx.conn().await.map_err(|e| e.to_string())?;
        let conn = &mut *conn;
        let attempts = job.attempts;
        let done = |recorded: bool| recorded.then(String::new);
        let committed = match outcome {
            Ok(result) => jobs::succeed(conn, &job.id, attempts, result)
                .await
                .map(done),
            Err(JobError::Retry(error)) if retry_later => {
                jobs::retry_later(conn, &job.id, attempts, error, delay)
                    .await
                    .map(|due| due.map(|due| due.to_rfc3339()))
            }
            Err(JobError::Retry(error)) => {
                let error = format!("gave up after {attempts} attempts: {error}");
                jobs::bury(conn, &job.id, attempts, &error).await.map(done)
            }
            Err(JobError::Permanent(error)) => {
                jobs::bury(conn, &job.id, attempts, error).await.map(done)
            }
        };
        committed.map_err(|e| e.to_string())
    }

    /// A copy for operators in the kind's dead-letter queue; the job row says it is dead
    /// whether or not the copy arrives.
    async fn copy_to_dead_letters(&self, delivery: &Delivery, error: &str) {
        let queue = self.topology.dead_queue(self.kind.as_str());
        let props = forwarded_properties(&delivery.properties, error);
        if let Err(publish_error) =
            publish(&self.publisher, "", &queue, &delivery.data, props).await
        {
            tracing::warn!(%publish_error, queue, "cannot copy the message to the dead letters");
        }
    }

    /// Moves a message that is not ours to run to the dead letters: copied (confirmed), then
    /// acknowledged; if the copy fails, it goes back to its queue instead, never lost.
    async fn dead_letter(&self, delivery: &Delivery, error: &str) {
        let queue = self.topology.dead_queue(self.kind.as_str());
        let props = forwarded_properties(&delivery.properties, error);
        match publish(&self.publisher, "", &queue, &delivery.data, props).await {
            Ok(()) => ack(delivery).await,
            Err(publish_error) => {
                tracing::warn!(%publish_error, queue, "cannot dead-letter the message; returning it to the queue");
                requeue(delivery).await;
            }
        }
    }
}

/// Runs the attempt, renewing its heartbeat every quarter of the lease meanwhile. The handler
/// runs in a task of its own ([`isolated`]), so a slow renewal never holds it up.
async fn with_heartbeat(
    ctx: &Context,
    job: &Job,
    lease: Duration,
    run: impl Future<Output = Result<Value, JobError>>,
) -> Result<Value, JobError> {
    tokio::pin!(run);
    let every = (lease / 4).max(Duration::from_millis(100));
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            outcome = &mut run => return outcome,
            _ = beat.tick() => {
                let renewed = match ctx.conn().await {
                    Ok(mut conn) => jobs::heartbeat(&mut conn, &job.id, job.attempts).await.map_err(|e| e.to_string()),
                    Err(error) => Err(error.to_string()),
                };
                match renewed {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("another worker took this job over; this attempt's outcome will not count"),
                    Err(error) => tracing::warn!(%error, "cannot renew the job's heartbeat"),
                }
            }
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
        trace_parent: original
            .headers()
            .as_ref()
            .and_then(|h| h.inner().get("traceparent"))
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

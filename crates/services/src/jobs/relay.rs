//! The outbox relay: publishes the jobs that transactions committed, with publisher confirms, and
//! marks them sent only then. Runs in every API and worker process; rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so replicas share the work without publishing a row twice (a crash
//! between confirm and commit can publish a row again, which idempotent handlers absorb).
//!
//! It wakes when PostgreSQL delivers the NOTIFY that [`super::enqueue`] issues, which happens at
//! commit, in every process; when the next scheduled row (a retry's, written with the time it is
//! due) falls due; and at least every `jobs.relay_interval_ms`, in case it missed one (its
//! listening connection was down).

use std::sync::Arc;
use std::time::Duration;

use backbeat_config::Settings;
use backbeat_db::jobs::OUTBOX_CHANNEL;
use backbeat_db::{DbError, DbPool, outbox};
use backbeat_queue::publish::{check, confirm_channel, properties};
use backbeat_queue::{Broker, JobMessage, QueueError, Topology};
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::StreamExt;
use lapin::Channel;
use tokio::sync::{Mutex, Notify};

pub struct Relay {
    db: DbPool,
    /// Connects the LISTEN connection (in TLS as configured).
    database: backbeat_config::DatabaseSettings,
    broker: Broker,
    topology: Topology,
    interval: Duration,
    batch: i64,
    wake: Arc<Notify>,
    stop: Arc<Notify>,
    /// Whether the last attempt to relay succeeded (readiness).
    healthy: Arc<std::sync::atomic::AtomicBool>,
    channel: Mutex<Option<Channel>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<diesel::result::Error> for RelayError {
    fn from(error: diesel::result::Error) -> Self {
        RelayError::Db(error.into())
    }
}

impl Relay {
    pub fn new(db: DbPool, broker: Broker, settings: &Settings) -> Self {
        Self {
            db,
            database: settings.database.clone(),
            broker,
            topology: super::topology(settings),
            interval: Duration::from_millis(settings.jobs.relay_interval_ms),
            batch: settings.jobs.relay_batch,
            wake: Arc::new(Notify::new()),
            stop: Arc::new(Notify::new()),
            healthy: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            channel: Mutex::new(None),
        }
    }

    /// Notified, the relay finishes the batch in hand, closes its channel and returns: the
    /// broker connection can then close without a channel dying under it.
    pub fn stopper(&self) -> Arc<Notify> {
        Arc::clone(&self.stop)
    }

    /// False while relaying fails (the broker refuses the topology, the outbox cannot be read):
    /// jobs would pile up unpublished.
    pub fn health(&self) -> Arc<std::sync::atomic::AtomicBool> {
        Arc::clone(&self.healthy)
    }

    /// Runs until stopped ([`Relay::stopper`]) or dropped. Never fails: while the broker or the
    /// database is down it logs, backs off and tries again; the rows wait in the outbox.
    pub async fn run(self) {
        // Stops with the relay.
        let _listener = AbortOnDrop(tokio::spawn(listen(
            self.database.clone(),
            Arc::clone(&self.wake),
        )));
        let mut backoff = self.interval;
        loop {
            let (pause, failing) = match self.drain().await {
                Ok(published) => {
                    if published > 0 {
                        tracing::debug!(published, "outbox relayed");
                    }
                    self.healthy
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    backoff = self.interval;
                    (self.until_next_due().await, false)
                }
                Err(error) => {
                    self.healthy
                        .store(false, std::sync::atomic::Ordering::Relaxed);
                    *self.channel.lock().await = None;
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "outbox relay cannot publish");
                    let pause = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    (pause, true)
                }
            };
            tokio::select! {
                () = self.stop.notified() => break,
                () = self.wake.notified(), if !failing => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        if let Some(channel) = self.channel.lock().await.take() {
            let _ = channel.close(200, "relay stopping".into()).await;
        }
    }

    /// The poll interval, or less when a scheduled row (a retry) falls due sooner.
    async fn until_next_due(&self) -> Duration {
        let next = match backbeat_db::pool::get(&self.db).await {
            Ok(mut conn) => outbox::next_due_in(&mut conn).await.ok().flatten(),
            Err(_) => None,
        };
        // A row due already was claimed by another relay, or came in since the drain.
        next.map_or(self.interval, |due| {
            due.clamp(Duration::from_millis(10), self.interval)
        })
    }

    /// Publishes every pending row that is due, batch after batch; returns how many.
    pub async fn drain(&self) -> Result<usize, RelayError> {
        let mut total = 0;
        loop {
            let published = self.publish_batch().await?;
            total += published;
            if published < self.batch as usize {
                return Ok(total);
            }
        }
    }

    async fn channel(&self) -> Result<Channel, QueueError> {
        let mut slot = self.channel.lock().await;
        if let Some(channel) = slot.as_ref().filter(|c| c.status().connected()) {
            return Ok(channel.clone());
        }
        let connection = self.broker.connection().await?;
        self.topology.declare(&connection).await?;
        let channel = confirm_channel(&connection).await?;
        *slot = Some(channel.clone());
        Ok(channel)
    }

    async fn publish_batch(&self) -> Result<usize, RelayError> {
        // Connect (and declare the queues) before taking a database connection and locking
        // rows, so neither is held while the broker is slow or down.
        let channel = self.channel().await?;
        let mut conn = backbeat_db::pool::get(&self.db).await?;
        let batch = self.batch;
        let exchange = self.topology.exchange();
        conn.transaction::<_, RelayError, _>(async |conn| {
            let pending = outbox::claim(conn, batch).await?;
            if pending.is_empty() {
                return Ok(0);
            }
            // Pipelined: every publish is sent, then every confirm awaited.
            let mut confirms = Vec::with_capacity(pending.len());
            for row in &pending {
                let message = JobMessage {
                    job_id: row.job_id.to_string(),
                    request_id: row.request_id.clone(),
                    trace_parent: row.trace_parent.clone(),
                };
                let body = serde_json::to_vec(&message)
                    .map_err(|e| QueueError::Unroutable(e.to_string()))?;
                let confirm = channel
                    .basic_publish(
                        exchange.as_str().into(),
                        row.kind.as_str().into(),
                        lapin::options::BasicPublishOptions {
                            mandatory: true,
                            ..Default::default()
                        },
                        &body,
                        properties(&message, &[]),
                    )
                    .await
                    .map_err(QueueError::from)?;
                confirms.push(confirm);
            }
            for confirm in confirms {
                check(confirm.await.map_err(QueueError::from)?)?;
            }
            let ids: Vec<i64> = pending.iter().map(|row| row.id).collect();
            outbox::mark_sent(conn, &ids).await?;
            Ok(pending.len())
        })
        .await
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Holds a connection that LISTENs on the outbox channel and wakes the relay on every
/// notification. Reconnects after a loss; meanwhile the relay polls on its interval.
async fn listen(database: backbeat_config::DatabaseSettings, wake: Arc<Notify>) {
    let mut delay = Duration::from_millis(500);
    let connector = match backbeat_db::tls::Connector::new(&database, &database.name) {
        Ok(connector) => connector,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "outbox listener cannot connect; polling instead");
            return;
        }
    };
    loop {
        match backbeat_db::pool::connect(&connector).await {
            Ok(mut conn) => {
                match diesel::sql_query(format!("LISTEN {OUTBOX_CHANNEL}"))
                    .execute(&mut conn)
                    .await
                {
                    Ok(_) => {
                        delay = Duration::from_millis(500);
                        // Whatever committed while nobody listened.
                        wake.notify_one();
                        let mut notifications = std::pin::pin!(conn.notifications_stream());
                        while let Some(notification) = notifications.next().await {
                            match notification {
                                Ok(_) => wake.notify_one(),
                                Err(error) => {
                                    tracing::warn!(%error, "outbox listener lost its connection");
                                    break;
                                }
                            }
                        }
                    }
                    Err(error) => tracing::warn!(%error, "outbox listener cannot LISTEN"),
                }
            }
            Err(error) => {
                tracing::debug!(%error, "outbox listener cannot connect; polling meanwhile");
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

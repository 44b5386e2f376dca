//! The outbox relay: publishes the jobs that requests committed, with publisher confirms, and
//! marks them sent only then. Runs in every API and worker process; rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so replicas share the work without publishing a row twice (a crash
//! between confirm and commit can publish a row again, which idempotent handlers absorb).

use std::sync::Arc;
use std::time::Duration;

use backbeat_config::{JobSettings, RabbitMqSettings};
use backbeat_db::{DbPool, outbox};
use backbeat_domain::jobs::JobMessage;
use diesel_async::AsyncConnection;
use lapin::Channel;
use tokio::sync::{Mutex, Notify};

use crate::publish::{check, confirm_channel, properties};
use crate::{Broker, QueueError, Topology};

/// Wakes the relay right after a transaction that enqueued jobs commits, instead of waiting for
/// the next tick.
#[derive(Clone, Default)]
pub struct RelayHandle {
    notify: Arc<Notify>,
}

impl RelayHandle {
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

pub struct Relay {
    db: DbPool,
    broker: Broker,
    topology: Topology,
    interval: Duration,
    batch: i64,
    handle: RelayHandle,
    channel: Mutex<Option<Channel>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Db(#[from] backbeat_db::DbError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<diesel::result::Error> for RelayError {
    fn from(error: diesel::result::Error) -> Self {
        RelayError::Db(error.into())
    }
}

impl Relay {
    pub fn new(
        db: DbPool,
        broker: Broker,
        rabbitmq: &RabbitMqSettings,
        jobs: &JobSettings,
    ) -> Self {
        Self {
            db,
            broker,
            topology: Topology::new(rabbitmq, jobs),
            interval: Duration::from_millis(jobs.relay_interval_ms),
            batch: jobs.relay_batch,
            handle: RelayHandle::default(),
            channel: Mutex::new(None),
        }
    }

    pub fn handle(&self) -> RelayHandle {
        self.handle.clone()
    }

    /// Runs until the task is dropped. Never fails: while the broker or the database is down it
    /// logs, backs off and tries again; the rows wait in the outbox.
    pub async fn run(self) {
        let mut backoff = self.interval;
        loop {
            match self.drain().await {
                Ok(published) => {
                    if published > 0 {
                        tracing::debug!(published, "outbox relayed");
                    }
                    backoff = self.interval;
                    tokio::select! {
                        () = self.handle.notify.notified() => {}
                        () = tokio::time::sleep(self.interval) => {}
                    }
                }
                Err(error) => {
                    *self.channel.lock().await = None;
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "outbox relay cannot publish");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// Publishes every pending row, batch after batch; returns how many.
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
        let channel = confirm_channel(&connection).await?;
        self.topology.declare(&channel).await?;
        *slot = Some(channel.clone());
        Ok(channel)
    }

    async fn publish_batch(&self) -> Result<usize, RelayError> {
        let mut conn = backbeat_db::pool::get(&self.db).await?;
        let batch = self.batch;
        let exchange = self.topology.exchange();
        // Connect before locking rows, so an outage does not hold locks while timing out.
        let channel = self.channel().await?;
        conn.transaction::<_, RelayError, _>(async |conn| {
            let pending = outbox::claim(conn, batch).await?;
            if pending.is_empty() {
                return Ok(0);
            }
            // Pipelined: every publish is sent, then every confirm awaited.
            let mut confirms = Vec::with_capacity(pending.len());
            for row in &pending {
                let message = JobMessage {
                    job_id: row.job_id.clone(),
                    request_id: row.request_id.clone(),
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

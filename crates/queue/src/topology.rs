//! Queue and exchange names, and their idempotent declaration (both processes declare them).
//!
//! Per job kind: the work queue `{prefix}.{kind}` bound to the direct exchange `{prefix}.jobs`,
//! and the dead-letter queue `{prefix}.{kind}.dead` where given-up messages wait for an operator.
//! Retries need no queue of their own: PostgreSQL schedules them (the jobs' outbox rows carry the
//! time they are due), so nothing the broker deletes can hold a pending retry. Delay queues
//! `{prefix}.{kind}.retry.{delay}ms` declared by earlier versions hand back what they hold, then
//! expire on their own.
//!
//! Both are quorum queues (replicated, and what RabbitMQ recommends for durable work). Settings
//! that RabbitMQ fixes at declaration never make a start fail: a queue that exists with other
//! arguments (classic, declared by an earlier version, or another `queue_expires_ms`) is replaced
//! by one with the current arguments, its messages moved, never dropped (see
//! [`Topology::declare`]).

use std::time::Duration;

use backbeat_config::RabbitMqSettings;
use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicNackOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, Connection, ExchangeKind};

use crate::QueueError;

#[derive(Debug, Clone)]
pub struct Topology {
    prefix: String,
    kinds: Vec<&'static str>,
    queue_expires_ms: Option<u64>,
}

impl Topology {
    /// The queues of `kinds` (the job kinds' names, which are their routing keys).
    pub fn new(rabbitmq: &RabbitMqSettings, kinds: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            prefix: rabbitmq.prefix.clone(),
            kinds: kinds.into_iter().collect(),
            queue_expires_ms: rabbitmq.queue_expires_ms,
        }
    }

    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.iter().copied()
    }

    pub fn exchange(&self) -> String {
        format!("{}.jobs", self.prefix)
    }

    pub fn queue(&self, kind: &str) -> String {
        format!("{}.{kind}", self.prefix)
    }

    pub fn dead_queue(&self, kind: &str) -> String {
        format!("{}.{kind}.dead", self.prefix)
    }

    /// Every queue of every kind.
    pub fn queues(&self) -> Vec<String> {
        self.kinds
            .iter()
            .flat_map(|kind| [self.queue(kind), self.dead_queue(kind)])
            .collect()
    }

    /// A work or dead-letter queue's arguments: quorum, and the configured expiry.
    fn durable_arguments(&self) -> FieldTable {
        let mut arguments = FieldTable::default();
        arguments.insert(
            ShortString::from("x-queue-type"),
            AMQPValue::LongString("quorum".into()),
        );
        if let Some(expires) = self.queue_expires_ms {
            let expires = i64::try_from(expires).unwrap_or(i64::MAX);
            arguments.insert(
                ShortString::from("x-expires"),
                AMQPValue::LongLongInt(expires),
            );
        }
        arguments
    }

    /// Declares everything, on channels of its own; safe to repeat, and from every process, at
    /// the same time too.
    pub async fn declare(&self, connection: &Connection) -> Result<(), QueueError> {
        let channel = connection.create_channel().await?;
        channel
            .exchange_declare(
                self.exchange().as_str().into(),
                ExchangeKind::Direct,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        for kind in &self.kinds {
            self.declare_durable(connection, &self.queue(kind), Some(kind))
                .await?;
            self.declare_durable(connection, &self.dead_queue(kind), None)
                .await?;
        }
        let _ = channel.close(200, "declared".into()).await;
        Ok(())
    }

    /// The messages waiting in `kind`'s work queue (not those its consumers hold). Declared as
    /// usual on the way, so that asking never fails on a queue not declared yet (after a broker
    /// reset: whatever it held is lost too, and it counts none). `None` while the queue exists
    /// with other arguments (a start is migrating it).
    pub async fn waiting(
        &self,
        connection: &Connection,
        kind: &str,
    ) -> Result<Option<u32>, QueueError> {
        self.declare_counting(connection, &self.queue(kind), Some(kind))
            .await
    }

    /// Declares a work (bound to `routing_key`) or dead-letter queue with the current arguments.
    ///
    /// When the queue exists with other ones, RabbitMQ refuses the declaration, and the queue is
    /// replaced through a holding queue `{queue}.migrating`: the holding queue is bound before
    /// the old queue is unbound (a message published meanwhile reaches one of them, at worst
    /// both, which the consumer's job-state check absorbs), the old queue's messages are moved
    /// into it (each acknowledged only once the broker confirms its copy), the old queue is
    /// deleted only when empty, declared again with the current arguments and bound, and the
    /// holding queue emptied into it and deleted. One process migrates a queue at a time (the
    /// others wait, then find it current), and every step can be repeated by a restart after a
    /// crash: each start empties a holding queue left behind.
    async fn declare_durable(
        &self,
        connection: &Connection,
        queue: &str,
        routing_key: Option<&str>,
    ) -> Result<(), QueueError> {
        let holding = format!("{queue}.migrating");
        loop {
            if self.declare_current(connection, queue, routing_key).await? {
                // A migration a crash interrupted leaves its holding queue behind.
                return self
                    .empty_holding(connection, &holding, queue, routing_key)
                    .await;
            }
            // One migration of a queue at a time, across processes (a queue only one
            // connection may hold, released when it closes, even by a crash) and within one.
            let _local = MIGRATING.lock().await;
            let lock = format!("{queue}.migration-lock");
            if take(connection, &lock).await? {
                let migrated = if self.declare_current(connection, queue, routing_key).await? {
                    Ok(())
                } else {
                    self.migrate(connection, queue, &holding, routing_key).await
                };
                release(connection, &lock).await;
                migrated?;
                return self
                    .empty_holding(connection, &holding, queue, routing_key)
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Declares `queue` with the current arguments and binds it; `false` when it exists with
    /// other ones.
    async fn declare_current(
        &self,
        connection: &Connection,
        queue: &str,
        routing_key: Option<&str>,
    ) -> Result<bool, QueueError> {
        Ok(self
            .declare_counting(connection, queue, routing_key)
            .await?
            .is_some())
    }

    /// [`Self::declare_current`], returning the messages waiting in the queue.
    async fn declare_counting(
        &self,
        connection: &Connection,
        queue: &str,
        routing_key: Option<&str>,
    ) -> Result<Option<u32>, QueueError> {
        let channel = connection.create_channel().await?;
        match channel
            .queue_declare(queue.into(), DURABLE, self.durable_arguments())
            .await
        {
            Ok(declared) => {
                self.bind(&channel, queue, routing_key).await?;
                let _ = channel.close(200, "declared".into()).await;
                Ok(Some(declared.message_count()))
            }
            Err(error) if refused_as(&error, AMQPSoftError::PRECONDITIONFAILED) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Replaces `queue` by one with the current arguments, through `holding`.
    async fn migrate(
        &self,
        connection: &Connection,
        queue: &str,
        holding: &str,
        routing_key: Option<&str>,
    ) -> Result<(), QueueError> {
        tracing::warn!(
            queue,
            "queue exists with other arguments (classic, or another expiry): moving its messages \
             to one declared with the current settings"
        );
        let channel = connection.create_channel().await?;
        channel
            .queue_declare(holding.into(), DURABLE, FieldTable::default())
            .await?;
        self.bind(&channel, holding, routing_key).await?;
        let _ = channel.close(200, "holding".into()).await;
        self.unbind(connection, queue, routing_key).await?;
        drain_and_delete(connection, queue, holding).await?;
        let channel = connection.create_channel().await?;
        channel
            .queue_declare(queue.into(), DURABLE, self.durable_arguments())
            .await?;
        self.bind(&channel, queue, routing_key).await?;
        let _ = channel.close(200, "migrated".into()).await;
        tracing::info!(queue, "queue now declared with the current settings");
        Ok(())
    }

    /// Moves what a holding queue holds into `queue` and deletes it. Declaring it (classic, no
    /// arguments) is how its existence is asked without an error when, as usual, there is none.
    async fn empty_holding(
        &self,
        connection: &Connection,
        holding: &str,
        queue: &str,
        routing_key: Option<&str>,
    ) -> Result<(), QueueError> {
        let channel = connection.create_channel().await?;
        let left = channel
            .queue_declare(holding.into(), DURABLE, FieldTable::default())
            .await?;
        if left.message_count() == 0 {
            // As on nearly every start: nothing left behind. The queue it holds is bound by now,
            // so the holding queue goes with its binding; when several processes start at once,
            // RabbitMQ answers delete-ok to the ones that find it gone, so none of them logs the
            // channel errors a move from a vanished queue would.
            let deleted = channel
                .queue_delete(
                    holding.into(),
                    QueueDeleteOptions {
                        if_empty: true,
                        ..QueueDeleteOptions::default()
                    },
                )
                .await;
            match deleted {
                Ok(_) => {
                    let _ = channel.close(200, "holding".into()).await;
                    return Ok(());
                }
                // A message reached it in between: moved below, like any left behind.
                Err(error) if refused_as(&error, AMQPSoftError::PRECONDITIONFAILED) => {}
                Err(error) => return Err(error.into()),
            }
        } else {
            let _ = channel.close(200, "holding".into()).await;
        }
        self.unbind(connection, holding, routing_key).await?;
        drain_and_delete(connection, holding, queue).await
    }

    /// Unbinds a work queue from the exchange; one already gone is fine.
    async fn unbind(
        &self,
        connection: &Connection,
        queue: &str,
        routing_key: Option<&str>,
    ) -> Result<(), QueueError> {
        let Some(key) = routing_key else {
            return Ok(());
        };
        let channel = connection.create_channel().await?;
        match channel
            .queue_unbind(
                queue.into(),
                self.exchange().as_str().into(),
                key.into(),
                FieldTable::default(),
            )
            .await
        {
            Ok(()) => {
                let _ = channel.close(200, "unbound".into()).await;
                Ok(())
            }
            Err(error) if refused_as(&error, AMQPSoftError::NOTFOUND) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn bind(
        &self,
        channel: &Channel,
        queue: &str,
        routing_key: Option<&str>,
    ) -> Result<(), QueueError> {
        if let Some(key) = routing_key {
            channel
                .queue_bind(
                    queue.into(),
                    self.exchange().as_str().into(),
                    key.into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }

    /// Deletes every queue and the exchange (test clean-up, decommissioning).
    pub async fn delete_all(&self, channel: &Channel) -> Result<(), QueueError> {
        use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
        for queue in self.queues() {
            channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await?;
        }
        channel
            .exchange_delete(
                self.exchange().as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await?;
        Ok(())
    }
}

const DURABLE: QueueDeclareOptions = QueueDeclareOptions {
    passive: false,
    durable: true,
    exclusive: false,
    auto_delete: false,
    nowait: false,
};

static MIGRATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Takes the lock `name`: an exclusive queue, which only one connection can hold. `false` when
/// another holds it.
async fn take(connection: &Connection, name: &str) -> Result<bool, QueueError> {
    let channel = connection.create_channel().await?;
    let options = QueueDeclareOptions {
        exclusive: true,
        ..QueueDeclareOptions::default()
    };
    match channel
        .queue_declare(name.into(), options, FieldTable::default())
        .await
    {
        Ok(_) => {
            let _ = channel.close(200, "locked".into()).await;
            Ok(true)
        }
        Err(error) if refused_as(&error, AMQPSoftError::RESOURCELOCKED) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Releases the lock `name`; were this to fail, closing the connection releases it.
async fn release(connection: &Connection, name: &str) {
    if let Ok(channel) = connection.create_channel().await {
        let _ = channel
            .queue_delete(name.into(), QueueDeleteOptions::default())
            .await;
        let _ = channel.close(200, "unlocked".into()).await;
    }
}

/// Whether the broker refused an operation with `code` (and closed the channel).
fn refused_as(error: &lapin::Error, code: AMQPSoftError) -> bool {
    matches!(
        error.kind(),
        lapin::ErrorKind::ProtocolError(e) if *e.kind() == AMQPErrorKind::Soft(code)
    )
}

/// Moves `from`'s messages into `to`, then deletes `from` once it is found empty; another
/// process doing the same at the same time, or having done it, is fine. `from` is unbound by
/// then, so nothing routes to it meanwhile (quorum queues cannot be deleted "if empty", so the
/// emptiness is checked just before).
async fn drain_and_delete(connection: &Connection, from: &str, to: &str) -> Result<(), QueueError> {
    const ROUNDS: usize = 10;
    let gone = |error: &QueueError| matches!(error, QueueError::Broker(e) if refused_as(e, AMQPSoftError::NOTFOUND));
    for _ in 0..ROUNDS {
        match move_messages(connection, from, to).await {
            Ok(_) => {}
            Err(error) if gone(&error) => return Ok(()),
            Err(error) => return Err(error),
        }
        let channel = connection.create_channel().await?;
        let waiting = channel
            .queue_declare(
                from.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await;
        match waiting {
            Ok(queue) if queue.message_count() == 0 => {
                channel
                    .queue_delete(from.into(), QueueDeleteOptions::default())
                    .await?;
                let _ = channel.close(200, "deleted".into()).await;
                return Ok(());
            }
            // A message arrived after the move (an old delay queue handing one back): move again.
            Ok(_) => {}
            Err(error) if refused_as(&error, AMQPSoftError::NOTFOUND) => return Ok(()),
            Err(error) => return Err(error.into()),
        }
    }
    Err(QueueError::Unavailable(format!(
        "{from} kept receiving messages while it was being emptied into {to}"
    )))
}

/// Moves every message of `from` into `to`, each acknowledged once the broker confirms its copy
/// (so a crash in between leaves it in both, never in neither).
async fn move_messages(connection: &Connection, from: &str, to: &str) -> Result<u64, QueueError> {
    let source = connection.create_channel().await?;
    let target = crate::publish::confirm_channel(connection).await?;
    let mut moved = 0;
    while let Some(message) = source
        .basic_get(from.into(), BasicGetOptions { no_ack: false })
        .await?
    {
        let delivery = message.delivery;
        let sent =
            crate::publish::publish(&target, "", to, &delivery.data, delivery.properties.clone())
                .await;
        if let Err(error) = sent {
            let _ = delivery
                .acker
                .nack(BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                })
                .await;
            return Err(error);
        }
        delivery.acker.ack(BasicAckOptions::default()).await?;
        moved += 1;
    }
    let _ = source.close(200, "moved".into()).await;
    let _ = target.close(200, "moved".into()).await;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let topology = Topology {
            prefix: "bb".into(),
            kinds: vec!["playlist_export", "once"],
            queue_expires_ms: None,
        };
        let kind = "playlist_export";
        assert_eq!(topology.exchange(), "bb.jobs");
        assert_eq!(topology.queue(kind), "bb.playlist_export");
        assert_eq!(topology.dead_queue(kind), "bb.playlist_export.dead");
        assert_eq!(
            topology.queues(),
            [
                "bb.playlist_export",
                "bb.playlist_export.dead",
                "bb.once",
                "bb.once.dead"
            ]
        );
    }
}

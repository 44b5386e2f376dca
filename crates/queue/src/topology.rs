//! Queue and exchange names, and their idempotent declaration (both processes declare them).
//!
//! Per job kind: the work queue `{prefix}.{kind}` bound to the direct exchange `{prefix}.jobs`;
//! delay queues `{prefix}.{kind}.retry.{delay}ms` whose messages expire after that delay
//! (`base * 2^(n-1)` for retry n) and are dead-lettered back to the exchange (exponential back-off
//! without a scheduler); and the dead-letter queue `{prefix}.{kind}.dead` where given-up messages
//! wait for an operator.
//!
//! Work and dead-letter queues are quorum queues (replicated, and what RabbitMQ recommends for
//! durable work). Settings that RabbitMQ fixes at declaration cannot conflict on a restart with
//! other settings: a retry queue's delay is in its name (a new `retry_base_ms` gives new queues;
//! the old ones still hand their messages back, then expire, since their expiry follows from
//! their delay), and a work or dead-letter queue that already exists is used as it is (declared
//! classic by an earlier version, or with another `queue_expires_ms`): it is only declared, with
//! the current arguments, when missing.

use std::time::Duration;

use backbeat_config::RabbitMqSettings;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{Channel, Connection, ExchangeKind};

use crate::QueueError;

/// One job kind's queues: its name (the routing key) and how many delay queues it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindQueues {
    pub name: &'static str,
    /// One per retry: `max_attempts - 1`, at least one.
    pub retry_tiers: u32,
}

impl KindQueues {
    pub fn new(name: &'static str, max_attempts: u32) -> Self {
        Self {
            name,
            retry_tiers: max_attempts.saturating_sub(1).max(1),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Topology {
    prefix: String,
    retry_base: Duration,
    kinds: Vec<KindQueues>,
    queue_expires_ms: Option<u64>,
}

impl Topology {
    pub fn new(
        rabbitmq: &RabbitMqSettings,
        retry_base: Duration,
        kinds: impl IntoIterator<Item = KindQueues>,
    ) -> Self {
        Self {
            prefix: rabbitmq.prefix.clone(),
            retry_base,
            kinds: kinds.into_iter().collect(),
            queue_expires_ms: rabbitmq.queue_expires_ms,
        }
    }

    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.iter().map(|k| k.name)
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

    fn retry_tiers(&self, kind: &str) -> u32 {
        self.kinds
            .iter()
            .find(|k| k.name == kind)
            .map_or(1, |k| k.retry_tiers)
    }

    /// The delay queue for the retry after failed attempt `attempt` (1-based).
    pub fn retry_queue(&self, kind: &str, attempt: u32) -> String {
        let tier = attempt.clamp(1, self.retry_tiers(kind));
        format!(
            "{}.{kind}.retry.{}ms",
            self.prefix,
            self.retry_delay(tier).as_millis()
        )
    }

    pub fn retry_delay(&self, tier: u32) -> Duration {
        self.retry_base * 2u32.saturating_pow(tier.saturating_sub(1))
    }

    /// Every queue of every kind.
    pub fn queues(&self) -> Vec<String> {
        let mut queues = Vec::new();
        for kind in &self.kinds {
            queues.push(self.queue(kind.name));
            queues.push(self.dead_queue(kind.name));
            queues.extend((1..=kind.retry_tiers).map(|tier| self.retry_queue(kind.name, tier)));
        }
        queues
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

    /// A delay queue's arguments, all following from its delay (its name): messages expire into
    /// the exchange after it, and the queue itself, once unused for twice that and a minute more,
    /// when every message it held is long gone.
    fn retry_arguments(&self, kind: &str, delay: Duration) -> FieldTable {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let mut arguments = FieldTable::default();
        arguments.insert(
            ShortString::from("x-message-ttl"),
            AMQPValue::LongLongInt(ms(delay)),
        );
        arguments.insert(
            ShortString::from("x-expires"),
            AMQPValue::LongLongInt(ms(delay * 2 + Duration::from_secs(60))),
        );
        arguments.insert(
            ShortString::from("x-dead-letter-exchange"),
            AMQPValue::LongString(self.exchange().as_str().into()),
        );
        arguments.insert(
            ShortString::from("x-dead-letter-routing-key"),
            AMQPValue::LongString(kind.into()),
        );
        arguments
    }

    /// Declares everything, on channels of its own; safe to repeat, and from every process.
    pub async fn declare(&self, connection: &Connection) -> Result<(), QueueError> {
        let durable = QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        };
        let mut channel = connection.create_channel().await?;
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
            for queue in [self.queue(kind.name), self.dead_queue(kind.name)] {
                // An existing queue is used as it is: declaring it again with other arguments
                // (classic, or another expiry) would be refused and fail the start.
                let exists = channel
                    .queue_declare(
                        queue.as_str().into(),
                        QueueDeclareOptions {
                            passive: true,
                            ..QueueDeclareOptions::default()
                        },
                        FieldTable::default(),
                    )
                    .await
                    .is_ok();
                if !exists {
                    // The refusal of the passive declaration closed the channel.
                    channel = connection.create_channel().await?;
                    channel
                        .queue_declare(queue.as_str().into(), durable, self.durable_arguments())
                        .await?;
                }
            }
            channel
                .queue_bind(
                    self.queue(kind.name).as_str().into(),
                    self.exchange().as_str().into(),
                    kind.name.into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            for tier in 1..=kind.retry_tiers {
                let delay = self.retry_delay(tier);
                channel
                    .queue_declare(
                        self.retry_queue(kind.name, tier).as_str().into(),
                        durable,
                        self.retry_arguments(kind.name, delay),
                    )
                    .await?;
            }
        }
        let _ = channel.close(200, "declared".into()).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_back_off() {
        let topology = Topology {
            prefix: "bb".into(),
            retry_base: Duration::from_secs(2),
            kinds: vec![
                KindQueues::new("playlist_export", 5),
                KindQueues::new("once", 1),
            ],
            queue_expires_ms: None,
        };
        let kind = "playlist_export";
        assert_eq!(topology.exchange(), "bb.jobs");
        assert_eq!(topology.queue(kind), "bb.playlist_export");
        assert_eq!(topology.dead_queue(kind), "bb.playlist_export.dead");
        assert_eq!(
            topology.retry_queue(kind, 1),
            "bb.playlist_export.retry.2000ms"
        );
        assert_eq!(
            topology.retry_queue(kind, 9),
            "bb.playlist_export.retry.16000ms"
        );
        assert_eq!(topology.retry_queue("once", 3), "bb.once.retry.2000ms");
        assert_eq!(topology.retry_delay(1), Duration::from_secs(2));
        assert_eq!(topology.retry_delay(4), Duration::from_secs(16));
        assert_eq!(topology.queues().len(), 6 + 3);
    }
}

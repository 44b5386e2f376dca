//! The backbeat worker: consumes jobs from RabbitMQ and runs their handlers; also runs an outbox
//! relay, so jobs go out even when no API replica is up.

pub mod consumer;
pub mod context;
pub mod dead;
pub mod handlers;
pub mod job_error;
pub mod mail;
pub mod shutdown;

use std::sync::Arc;
use std::time::Duration;

use backbeat_config::Settings;
use backbeat_queue::{Broker, Relay, Topology};

pub use context::JobContext;
pub use job_error::JobError;

use crate::consumer::{Consumer, Stopped};

/// Connects (retrying while PostgreSQL or RabbitMQ is down), reports ready, and consumes until
/// SIGINT/SIGTERM, then drains in-flight jobs.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let shutdown = shutdown::signal();
    tokio::pin!(shutdown);
    let db = backbeat_db::pool::build(&settings.database, "backbeat-worker");
    let broker = Broker::new(&settings.rabbitmq, "backbeat-worker");
    let topology = Topology::new(&settings.rabbitmq, &settings.jobs);
    let connected = async {
        retry("database", || backbeat_db::pool::ping(&db)).await;
        retry("rabbitmq", || broker.ping()).await;
    };
    tokio::select! {
        () = connected => {}
        () = &mut shutdown => {
            tracing::info!("shutdown requested before the worker was ready");
            return Ok(());
        }
    }
    let relay = Relay::new(
        db.clone(),
        broker.clone(),
        &settings.rabbitmq,
        &settings.jobs,
    );
    let relay_task = tokio::spawn(relay.run());
    let consumer = Consumer {
        prefetch: settings.jobs.prefetch,
        grace: Duration::from_secs(settings.jobs.shutdown_grace_secs),
        name: format!("backbeat-worker-{}", std::process::id()),
        ctx: Arc::new(JobContext::new(settings, db.clone())?),
        broker: broker.clone(),
        topology,
    };
    tracing::info!("backbeat-worker ready");
    let mut delay = Duration::from_millis(500);
    loop {
        match consumer.run(&mut shutdown).await {
            Stopped::Shutdown => break,
            Stopped::Disconnected(error) => {
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "lost RabbitMQ; reconnecting");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = &mut shutdown => break,
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
    tracing::info!("backbeat-worker stopping");
    relay_task.abort();
    broker.close().await;
    db.close();
    tracing::info!("backbeat-worker stopped");
    Ok(())
}

/// Retries a connection check with capped exponential back-off, logging each failure.
async fn retry<F, Fut, E>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut delay = Duration::from_millis(250);
    loop {
        match check().await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(dependency = what, %error, retry_in_ms = delay.as_millis() as u64, "not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

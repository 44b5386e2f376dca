//! The backbeat worker: consumes jobs from RabbitMQ and runs their handlers.

pub mod shutdown;

use std::time::Duration;

use backbeat_config::Settings;
use backbeat_queue::Broker;

/// Connects to PostgreSQL and RabbitMQ (retrying while they are down), reports ready, and runs
/// until SIGINT/SIGTERM.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let shutdown = shutdown::signal();
    tokio::pin!(shutdown);
    let db = backbeat_db::pool::build(&settings.database, "backbeat-worker");
    let broker = Broker::new(&settings.rabbitmq, "backbeat-worker");

    let connected = async {
        retry("database", || backbeat_db::pool::ping(&db)).await;
        retry("rabbitmq", || broker.ping()).await;
    };
    tokio::select! {
        () = connected => tracing::info!("backbeat-worker ready"),
        () = &mut shutdown => {
            tracing::info!("shutdown requested before the worker was ready");
            return Ok(());
        }
    }
    shutdown.await;
    tracing::info!("backbeat-worker stopping");
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

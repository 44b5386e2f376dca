//! RabbitMQ for backbeat: one lazily (re)connected connection per process, the queue topology,
//! and publishing with confirms. What goes on the queues, and when, is the jobs' business
//! (the services crate); this crate knows nothing of the database.

pub mod message;
pub mod publish;
pub mod topology;

pub use message::JobMessage;
pub use topology::Topology;

use std::sync::Arc;
use std::time::Duration;

use backbeat_config::RabbitMqSettings;
use lapin::tcp::OwnedTLSConfig;
use lapin::{Connection, ConnectionProperties};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

pub use lapin;

/// Shutdown must not hang on a broker that does not answer the close handshake.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("cannot reach RabbitMQ: {0}")]
    Unavailable(String),
    #[error("RabbitMQ error: {0}")]
    Broker(#[from] lapin::Error),
    #[error("message not routed: {0}")]
    Unroutable(String),
}

/// A process's link to the broker. Cheap to clone; reconnects on demand after an outage, so a
/// process can start (and keep serving) while RabbitMQ is down.
#[derive(Clone)]
pub struct Broker {
    url: SecretString,
    connect_timeout: Duration,
    name: &'static str,
    connection: Arc<Mutex<Option<Arc<Connection>>>>,
    /// The runtime that owns the connection's I/O tasks. actix-web runs handlers on per-thread
    /// runtimes that stop at shutdown; a connection opened there would die with them.
    runtime: tokio::runtime::Handle,
    /// For `amqps://`: the CAs of `rabbitmq.ca_file` (the system's store otherwise), or why
    /// that file could not be read (every connection attempt then says so).
    tls: Result<OwnedTLSConfig, String>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The largest frame this client proposes (the broker's own limit wins when lower). lapin keeps
/// 32 frames of buffer each way, zero-filled: at RabbitMQ's default of 128 KiB that is 8 MiB
/// resident per connection, most of an idle API's memory. Job envelopes are small; a larger
/// message is split into frames as AMQP provides.
const FRAME_MAX: u32 = 16 * 1024;

/// The broker URL with [`FRAME_MAX`] unless it names a `frame_max` of its own.
fn frames_of(url: &str) -> Result<lapin::uri::AMQPUri, String> {
    let mut uri: lapin::uri::AMQPUri = url
        .parse()
        .map_err(|e| format!("invalid RabbitMQ URL: {e}"))?;
    uri.query.frame_max.get_or_insert(FRAME_MAX);
    Ok(uri)
}

impl Broker {
    /// Must be called inside the process's main Tokio runtime.
    pub fn new(settings: &RabbitMqSettings, name: &'static str) -> Self {
        Self {
            runtime: tokio::runtime::Handle::current(),
            url: settings.url.clone(),
            connect_timeout: Duration::from_millis(settings.connect_timeout_ms),
            name,
            connection: Arc::new(Mutex::new(None)),
            tls: tls_config(settings.ca_file.as_deref()),
        }
    }

    /// The current connection, opening a new one if there is none or it was lost.
    pub async fn connection(&self) -> Result<Arc<Connection>, QueueError> {
        let mut slot = self.connection.lock().await;
        if let Some(conn) = slot.as_ref().filter(|c| c.status().connected()) {
            return Ok(Arc::clone(conn));
        }
        let properties = ConnectionProperties::default().with_connection_name(self.name.into());
        let uri = frames_of(self.url.expose_secret()).map_err(QueueError::Unavailable)?;
        let timeout = self.connect_timeout;
        let tls = self.tls.clone().map_err(QueueError::Unavailable)?;
        let conn = self
            .runtime
            .spawn(async move {
                let connecting = async {
                    let runtime = lapin::runtime::default_runtime()?;
                    Connection::connect_uri_with_config(uri, properties, tls, runtime).await
                };
                tokio::time::timeout(timeout, connecting).await
            })
            .await
            .map_err(|e| QueueError::Unavailable(format!("connect task failed: {e}")))?
            .map_err(|_| QueueError::Unavailable("connect timed out".to_owned()))?
            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
        let conn = Arc::new(conn);
        *slot = Some(Arc::clone(&conn));
        tracing::info!(connection = self.name, "connected to RabbitMQ");
        Ok(conn)
    }

    /// Readiness: a connection is open (or can be opened now).
    pub async fn ping(&self) -> Result<(), QueueError> {
        self.connection().await.map(|_| ())
    }

    /// Closes the connection, if any, so the broker sees a clean goodbye.
    pub async fn close(&self) {
        if let Some(conn) = self.connection.lock().await.take() {
            let started = std::time::Instant::now();
            let closed =
                tokio::time::timeout(CLOSE_TIMEOUT, conn.close(200, "shutting down".into())).await;
            tracing::debug!(
                connection = self.name,
                ?closed,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "RabbitMQ connection closed"
            );
        }
    }
}

fn tls_config(ca_file: Option<&str>) -> Result<OwnedTLSConfig, String> {
    let Some(path) = ca_file.filter(|p| !p.is_empty()) else {
        return Ok(OwnedTLSConfig::default());
    };
    let pem = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read rabbitmq.ca_file {path}: {e}"))?;
    Ok(OwnedTLSConfig {
        identity: None,
        cert_chain: Some(pem),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn connections_propose_small_frames_unless_the_url_names_a_size() {
        let uri = super::frames_of("amqp://guest:guest@127.0.0.1:5672/%2f").expect("url");
        assert_eq!(uri.query.frame_max, Some(super::FRAME_MAX));
        let uri = super::frames_of("amqp://127.0.0.1:5672/%2f?frame_max=131072").expect("url");
        assert_eq!(uri.query.frame_max, Some(131_072));
        assert!(super::frames_of("http://nope").is_err());
    }
}

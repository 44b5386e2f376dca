//! Logging for both processes: human-readable lines locally, JSON lines in production; traces
//! over OTLP when configured; the probe their container health checks run; the Prometheus
//! recorder.

pub mod metrics;
pub mod probe;

mod traces;

use backbeat_config::{LogFormat, LogSettings};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use traces::{flush, set_parent, traceparent};

/// The target of outbound calls' spans (SMTP, SFTP, S3, Wistia, the crawler): traced, not logged.
pub const CALLS: &str = "backbeat_calls";

/// Installs the global subscriber: log lines (`RUST_LOG` wins over the configured filter when
/// set) and, when `otlp_endpoint` is set, OpenTelemetry spans of `service` (INFO and above,
/// whatever the log filter). Safe to call more than once (later calls are ignored), which tests
/// rely on.
pub fn init(settings: &LogSettings, service: &'static str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"))
        // Spans of outbound calls are for traces: log lines keep the job's span as theirs.
        .add_directive(format!("{CALLS}=off").parse().expect("a directive"));
    let lines = match settings.format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_span_events(FmtSpan::NONE)
            .boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        .with(traces::layer(settings, service))
        .try_init();
}

/// Runs CPU-heavy work (password hashing) on the blocking pool, keeping the caller's span so its
/// logs still carry the request id.
pub async fn spawn_blocking_with_tracing<F, R>(f: F) -> Result<R, tokio::task::JoinError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f)).await
}

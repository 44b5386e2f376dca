//! Prometheus metrics: `GET /metrics` in the text format.
//!
//! One recorder per process (metrics are process-global); every app built in the process shares
//! it, which is what tests that start several apps need.

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::HttpResponse;
use metrics_exporter_prometheus::PrometheusHandle;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Installs the recorder once; later calls reuse it.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            backbeat_telemetry::metrics::install_prometheus(&[(
                "http_request_duration_seconds",
                LATENCY_BUCKETS,
            )])
        })
        .as_ref()
}

/// Counts a request and records its latency. `route` is the matched pattern (`/albums/{id}`),
/// never the raw path, so label cardinality stays bounded.
pub fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(elapsed.as_secs_f64());
}

pub async fn render() -> HttpResponse {
    let body = install().map(PrometheusHandle::render).unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

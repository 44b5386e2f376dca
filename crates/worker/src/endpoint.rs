//! The worker's HTTP endpoint for operators: `/health/live` (the process runs), `/health/ready`
//! (consuming from RabbitMQ and reaching PostgreSQL; 503 otherwise), and `/metrics` in the
//! Prometheus format: jobs by kind and outcome, their duration, jobs in flight, and whether the
//! consumer is connected.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use backbeat_services::Context;
use metrics_exporter_prometheus::PrometheusHandle;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

const DURATION_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0];

/// Installs the metrics recorder once per process.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            backbeat_telemetry::metrics::install_prometheus(&[(
                "job_duration_seconds",
                DURATION_BUCKETS,
            )])
        })
        .as_ref()
}

/// Whether the consumer is connected and consuming (read by `/health/ready`).
#[derive(Clone, Default)]
pub struct Consuming(Arc<AtomicBool>);

impl Consuming {
    pub fn set(&self, consuming: bool) {
        self.0.store(consuming, Ordering::Relaxed);
        metrics::gauge!("consumer_connected").set(if consuming { 1.0 } else { 0.0 });
    }

    fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

struct State {
    ctx: Arc<Context>,
    consuming: Consuming,
}

/// Binds the endpoint and serves it in the background; a port already taken is logged, and the
/// worker goes on without it.
pub fn serve(ctx: Arc<Context>, consuming: Consuming) -> Option<actix_web::dev::ServerHandle> {
    install();
    let settings = &ctx.settings.worker;
    let listener = match TcpListener::bind((settings.http_host.as_str(), settings.http_port)) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, port = settings.http_port, "worker endpoint not started");
            return None;
        }
    };
    let address = listener.local_addr().ok()?;
    let state = web::Data::new(State { ctx, consuming });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route(
                "/health/live",
                web::get().to(|| async {
                    HttpResponse::Ok().json(serde_json::json!({"status": "success"}))
                }),
            )
            .route("/health/ready", web::get().to(ready))
            .route("/metrics", web::get().to(render))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .map_err(|error| tracing::warn!(%error, "worker endpoint not started"))
    .ok()?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    tracing::info!(address = %format!("http://{address}"), "worker endpoint listening");
    Some(handle)
}

async fn ready(state: web::Data<State>) -> HttpResponse {
    let database = tokio::time::timeout(
        Duration::from_secs(2),
        backbeat_db::pool::ping(&state.ctx.db),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    let consuming = state.consuming.get();
    let checks = serde_json::json!({
        "database": if database { "ok" } else { "down" },
        "consumer": if consuming { "ok" } else { "down" },
    });
    if database && consuming {
        HttpResponse::Ok()
            .json(serde_json::json!({"status": "success", "data": {"checks": checks}}))
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(serde_json::json!({"status": "error", "code": "UNAVAILABLE",
                "message": "not ready", "checks": checks}))
    }
}

async fn render() -> HttpResponse {
    let body = install().map(PrometheusHandle::render).unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}

/// Records a job's outcome (`succeeded`, `retried`, `dead`) and how long its handler ran.
pub fn job_finished(kind: &str, outcome: &'static str, elapsed: Duration) {
    let labels = [("kind", kind.to_owned()), ("outcome", outcome.to_owned())];
    metrics::counter!("jobs_processed_total", &labels).increment(1);
    metrics::histogram!("job_duration_seconds", &labels[..1]).record(elapsed.as_secs_f64());
}

/// Jobs running now, by kind.
pub fn in_flight(kind: &str, delta: f64) {
    metrics::gauge!("jobs_in_flight", "kind" => kind.to_owned()).increment(delta);
}

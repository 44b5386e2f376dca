//! `GET /health/live` (the process answers), `GET /health/ready` (its dependencies answer) and
//! `GET /metrics` (Prometheus).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::error::{ApiError, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::operations::{Liveness, Readiness};

const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[utoipa::path(
    get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "The process is up", body = DataEnvelope<Liveness>))
)]
pub async fn live() -> HttpResponse {
    response::data(StatusCode::OK, Liveness { status: "live" })
}

#[utoipa::path(
    get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "PostgreSQL, Redis, RabbitMQ and the file storage all answer, and the outbox relay publishes", body = DataEnvelope<Readiness>),
        (status = 503, description = "A dependency is down; `message` and `checks` name it (`UNAVAILABLE`)", body = ErrorBody),
    )
)]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let (database, redis, rabbitmq, storage) = tokio::join!(
        check("database", backbeat_db::pool::ping(&state.db)),
        check("redis", backbeat_cache::ping(&state.redis)),
        check("rabbitmq", state.broker.ping()),
        check(
            "storage",
            backbeat_storage::Storage::ping(&*state.ctx.storage)
        ),
    );
    let relay = state
        .relay_health
        .load(std::sync::atomic::Ordering::Relaxed);
    let checks = [
        ("database", database),
        ("redis", redis),
        ("rabbitmq", rabbitmq),
        ("storage", storage),
        ("relay", relay),
    ];
    let summary: serde_json::Map<String, serde_json::Value> = checks
        .iter()
        .map(|(name, ok)| ((*name).to_owned(), json!(if *ok { "ok" } else { "down" })))
        .collect();
    let failing: Vec<&str> = checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| *name)
        .collect();
    if failing.is_empty() {
        return response::data(
            StatusCode::OK,
            Readiness {
                checks: summary.into(),
            },
        );
    }
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "5"))
        .json(json!({
            "status": "error",
            "code": "UNAVAILABLE",
            "message": format!("not ready: {} down", failing.join(", ")),
            "checks": summary,
        }))
}

async fn check<E: std::fmt::Display>(
    name: &str,
    probe: impl Future<Output = Result<(), E>>,
) -> bool {
    match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::warn!(check = name, %error, "readiness check failed");
            false
        }
        Err(_) => {
            tracing::warn!(check = name, "readiness check timed out");
            false
        }
    }
}

#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format: `http_requests_total{method,route,status}`, \
            `http_request_duration_seconds{method,route}`, `outbox_pending`. Answered only to clients in \
            `server.metrics_allowed_networks` (loopback by default), and not at all on this port when \
            `server.metrics_port` gives metrics their own listener", content_type = "text/plain"),
        (status = 404, description = "Any other client (`NOT_FOUND`, as for a route that does not exist)", body = ErrorBody),
    )
)]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let server = &state.settings.server;
    let client = crate::access::client_address(&state.settings, &req).to_canonical();
    let allowed = server.metrics_port == 0
        && server
            .metrics_allowed_networks
            .iter()
            .any(|n| n.contains(&client));
    if !allowed {
        return Err(ApiError::NotFound("route not found".to_owned()));
    }
    Ok(render_metrics(&state).await)
}

/// `/metrics` on its own listener (`server.metrics_port`): whoever reaches the port is the
/// monitoring system.
pub async fn own_port_metrics(state: web::Data<AppState>) -> HttpResponse {
    render_metrics(&state).await
}

async fn render_metrics(state: &AppState) -> HttpResponse {
    // Jobs waiting for the relay: grows when RabbitMQ is unreachable.
    if let Ok(pending) = backbeat_services::jobs::backlog(state).await {
        ::metrics::gauge!("outbox_pending").set(pending as f64);
    }
    crate::metrics::render().await
}

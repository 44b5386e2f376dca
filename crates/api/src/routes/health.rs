//! `GET /health/live` (the process answers), `GET /health/ready` (its dependencies answer) and
//! `GET /metrics` (Prometheus).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::ErrorBody;
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
        (status = 200, description = "PostgreSQL, Redis and RabbitMQ all answer, and the outbox relay publishes", body = DataEnvelope<Readiness>),
        (status = 503, description = "A dependency is down; `message` and `checks` name it (`UNAVAILABLE`)", body = ErrorBody),
    )
)]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let (database, redis, rabbitmq) = tokio::join!(
        check("database", backbeat_db::pool::ping(&state.db)),
        check("redis", backbeat_cache::ping(&state.redis)),
        check("rabbitmq", state.broker.ping()),
    );
    let relay = state
        .relay_health
        .load(std::sync::atomic::Ordering::Relaxed);
    let checks = [
        ("database", database),
        ("redis", redis),
        ("rabbitmq", rabbitmq),
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
    responses((status = 200, description = "Prometheus text format: `http_requests_total{method,route,status}`, \
        `http_request_duration_seconds{method,route}`, `outbox_pending`", content_type = "text/plain"))
)]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // Jobs waiting for the relay: grows when RabbitMQ is unreachable.
    if let Ok(pending) = backbeat_services::jobs::backlog(&state).await {
        ::metrics::gauge!("outbox_pending").set(pending as f64);
    }
    crate::metrics::render().await
}

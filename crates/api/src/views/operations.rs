//! Health checks.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    #[schema(example = "live")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` or `down` for `database`, `redis` and `rabbitmq`.
    #[schema(example = json!({"database": "ok", "redis": "ok", "rabbitmq": "ok"}))]
    pub checks: serde_json::Value,
}

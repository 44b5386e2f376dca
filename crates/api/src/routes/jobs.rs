//! `GET /jobs/{id}`: a job's progress and outcome, for the user who started it and for admins.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub done: i32,
    pub total: i32,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: String,
    #[schema(example = "playlist_export")]
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed` (an attempt failed; a retry is scheduled) or `dead`.
    pub status: String,
    pub attempts: i32,
    pub progress: Progress,
    pub result: Option<serde_json::Value>,
    /// The last attempt's error, if it failed.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobData {
    pub job: JobView,
}

#[utoipa::path(
    get, path = "/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The job", body = DataEnvelope<JobData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown job, or someone else's (admins see every job)", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let job = backbeat_db::jobs::find(&mut conn, &id)
        .await?
        .filter(|job| caller.may_act_on(job.user_id.as_deref()))
        .ok_or_else(|| ApiError::NotFound("job not found".to_owned()))?;
    Ok(response::data(
        StatusCode::OK,
        JobData {
            job: JobView {
                id: job.id,
                kind: job.kind,
                status: job.status,
                attempts: job.attempts,
                progress: Progress {
                    done: job.progress_done,
                    total: job.progress_total,
                },
                result: job.result,
                error: job.last_error,
                created_at: job.created_at,
                started_at: job.started_at,
                finished_at: job.finished_at,
            },
        },
    ))
}

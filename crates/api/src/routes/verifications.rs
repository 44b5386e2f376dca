//! `GET /verifications/{id}`, `POST /verifications/{id}/check`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::VerificationId;
use backbeat_services::verification;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::community::VerificationData;
use crate::views::jobs::JobAccepted;

#[utoipa::path(
    get, path = "/verifications/{id}", tag = "community",
    params(("id" = String, Path, description = "Verification id")),
    responses(
        (status = 200, description = "Where the verification stands, and why a check failed", body = DataEnvelope<VerificationData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown verification, or another owner's artist's", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<VerificationId>,
) -> ApiResult<HttpResponse> {
    let found = verification::get(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        VerificationData {
            verification: found.into(),
        },
    ))
}

#[utoipa::path(
    post, path = "/verifications/{id}/check", tag = "community",
    params(("id" = String, Path, description = "Verification id")),
    responses(
        (status = 202, description = "A crawl of the profile page is queued; the verification is `checking` until it ends in `pending_review` (code found) or `failed` (with the reason)", body = DataEnvelope<JobAccepted>,
            headers(("Location" = String, description = "/jobs/{jobId}"))),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown verification, or another owner's artist's", body = ErrorBody),
        (status = 409, description = "Not checkable now: a check under way, the code expired, or already found", body = ErrorBody),
    )
)]
pub async fn check(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<VerificationId>,
) -> ApiResult<HttpResponse> {
    let job = verification::check(&state, &caller, &id, Some(&request_id.0)).await?;
    Ok(response::accepted(
        &state.settings.server.base_path,
        job.as_str(),
        JobAccepted {
            job_id: job.to_string(),
        },
    ))
}

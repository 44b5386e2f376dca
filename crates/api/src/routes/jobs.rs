//! `GET /jobs/{id}`: a job's progress and outcome, for the user who started it and for admins.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::JobId;
use backbeat_services::jobs::view;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::jobs::JobData;

#[utoipa::path(
    get, path = "/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job", body = DataEnvelope<JobData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown job, or someone else's (admins see every job)", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<JobId>,
) -> ApiResult<HttpResponse> {
    let job = view::find(&state, &caller, &id).await?;
    Ok(response::data(StatusCode::OK, JobData { job: job.into() }))
}

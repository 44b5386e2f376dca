//! `PATCH /videos/sync`.

use actix_web::{HttpResponse, web};
use backbeat_services::videos::sync;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::videos::SyncAccepted;

#[utoipa::path(
    patch, path = "/videos/sync", tag = "videos",
    responses(
        (status = 202, description = "A sync job is queued (or was already queued or running: one runs at a time, and its job is returned). Follow it at `Location` (`GET /jobs/{id}`: progress, then what it listed, added, changed, refreshed and removed)", body = DataEnvelope<SyncAccepted>,
            headers(("Location" = String, description = "`/jobs/{id}`"))),
        (status = 401, description = "No access token or API key", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key without `videos:write`", body = ErrorBody),
        (status = 409, description = "Video sync is not configured (no Wistia token)", body = ErrorBody),
    )
)]
pub async fn start(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
) -> ApiResult<HttpResponse> {
    let requested = sync::request(&state, &caller, Some(&request_id.0)).await?;
    Ok(response::accepted(
        &state.settings.server.base_path,
        requested.job_id.as_str(),
        SyncAccepted {
            job_id: requested.job_id.to_string(),
            already_running: !requested.queued,
        },
    ))
}

//! `POST /distributions/bulk`.

use actix_web::{HttpResponse, web};
use backbeat_domain::ids::{AlbumId, PlatformId};
use backbeat_services::distribution::bulk;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::playlists::JobAccepted;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct BulkRequest {
    /// Releases the caller may change, each once; at most `distribution.bulk_max_releases` (1000).
    #[schema(schema_with = crate::schemas::album_ids)]
    album_ids: Vec<String>,
    /// Active platforms, each once.
    #[schema(schema_with = crate::schemas::platform_ids)]
    platform_ids: Vec<String>,
}

#[utoipa::path(
    post, path = "/distributions/bulk", tag = "distribution",
    request_body = BulkRequest,
    responses(
        (status = 202, description = "A job distributes every release to every platform: `GET /jobs/{id}` shows its progress and, when done, \\
            counts by outcome; `GET /jobs/{id}/items` every pair's outcome (`delivered`, `failed` with the reason or the release's \\
            readiness problems, `skipped` when already distributed). The requester is emailed a summary with a CSV of every pair", body = DataEnvelope<JobAccepted>,
            headers(("Location" = String, description = "/jobs/{jobId}"))),
        (status = 400, description = "Invalid body, too many releases, or a platform unknown or inactive", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Releases that do not exist or are not the caller's (listed in `message`)", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let albums = f.ids::<AlbumId>("albumIds", state.settings.distribution.bulk_max_releases);
    let platforms = f.ids::<PlatformId>("platformIds", 100);
    let (albums, platforms) = f.finish((albums, platforms))?;
    let job = bulk::request(&state, &caller, albums, platforms, &request_id.0).await?;
    Ok(response::accepted(
        &state.settings.server.base_path,
        &job.to_string(),
        JobAccepted {
            job_id: job.into_inner(),
        },
    ))
}

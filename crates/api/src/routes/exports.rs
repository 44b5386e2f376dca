//! `POST /export/playlists/{playlistId}`: the worker emails the playlist as `playlist.json`.

use actix_web::{HttpResponse, web};
use backbeat_domain::email::EmailAddress;
use backbeat_domain::ids::PlaylistId;
use backbeat_services::playlists::export;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::request_context::RequestId;
use crate::state::AppState;
use crate::views::playlists::{ExportAccepted, JobAccepted};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct ExportRequest {
    #[schema(value_type = crate::schemas::Email)]
    target_email: String,
}

#[utoipa::path(
    post, path = "/export/playlists/{playlistId}", tag = "playlists",
    params(("playlistId" = String, Path, description = "Playlist id")),
    request_body = ExportRequest,
    responses(
        (status = 201, description = "Export queued; `Location: /jobs/{jobId}` follows it", body = ExportAccepted,
            headers(("Location" = String, description = "/jobs/{jobId}"))),
        (status = 400, description = "Missing or invalid `targetEmail`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the playlist's owner", body = ErrorBody),
        (status = 404, description = "Unknown playlist", body = ErrorBody),
    )
)]
pub async fn export_playlist(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    playlist_id: web::Path<PlaylistId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let target = f
        .string("targetEmail")
        .and_then(|v| f.check(EmailAddress::parse("targetEmail", v)));
    let (target_email,) = f.finish((target,))?;
    let job_id = export::request(
        &state,
        &caller,
        playlist_id.into_inner(),
        target_email,
        &request_id.0,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("{}/jobs/{job_id}", state.settings.server.base_path),
        ))
        .json(ExportAccepted {
            status: "success",
            message: "Your request is being processed".to_owned(),
            data: JobAccepted {
                job_id: job_id.into_inner(),
            },
        }))
}

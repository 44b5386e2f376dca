//! `POST /export/playlists/{playlistId}`: the worker emails the playlist as `playlist.json`.

use actix_web::{HttpResponse, web};
use backbeat_db::jobs::{self, NewJob};
use backbeat_domain::email::EmailAddress;
use backbeat_domain::ids::JobId;
use backbeat_domain::jobs::{JobKind, PlaylistExport};
use diesel_async::AsyncConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::request_context::RequestId;
use crate::routes::playlists::{Need, authorize};
use crate::state::AppState;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct ExportRequest {
    #[schema(example = "listener@example.com")]
    target_email: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobAccepted {
    #[schema(example = "job-Qbax5Oy7L8WKf74l")]
    pub job_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportAccepted {
    #[schema(example = "success")]
    pub status: &'static str,
    pub message: String,
    pub data: JobAccepted,
}

#[utoipa::path(
    post, path = "/export/playlists/{playlistId}", tag = "playlists",
    params(("playlistId" = String, Path, description = "Playlist id")),
    request_body = ExportRequest,
    security(("bearer" = [])),
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
    playlist_id: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let target = f
        .string("targetEmail")
        .and_then(|v| f.check(EmailAddress::parse("targetEmail", v)));
    let (target_email,) = f.finish((target,))?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    authorize(&mut conn, &playlist_id, &caller, Need::Owner).await?;

    let job_id = JobId::generate();
    let payload = serde_json::to_value(PlaylistExport {
        playlist_id: playlist_id.into_inner(),
        target_email,
    })
    .map_err(ApiError::internal)?;
    let max_attempts = i32::try_from(state.settings.jobs.max_attempts).unwrap_or(5);
    conn.transaction::<_, backbeat_db::DbError, _>(async |conn| {
        jobs::enqueue(
            conn,
            NewJob {
                id: job_id.as_str(),
                kind: JobKind::PlaylistExport.as_str(),
                payload,
                max_attempts,
                user_id: Some(caller.user_id.as_str()),
                request_id: Some(&request_id.0),
            },
        )
        .await
    })
    .await?;
    state.relay.wake();
    tracing::info!(job_id = %job_id, "playlist export queued");
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("{}/jobs/{job_id}", state.settings.server.base_path),
        ))
        .json(ExportAccepted {
            status: "success",
            message: "Your request is being processed".to_owned(),
            data: JobAccepted { job_id: job_id.0 },
        }))
}

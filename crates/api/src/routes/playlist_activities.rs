//! `GET /playlists/{id}/activities`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::playlists;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::routes::playlists::{Need, authorize};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityItem {
    /// Who added or removed the song.
    pub username: String,
    /// The song's title at the time.
    pub title: String,
    /// `add` or `delete`.
    #[schema(example = "add")]
    pub action: String,
    /// ISO-8601 (RFC 3339, UTC).
    pub time: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityLog {
    pub playlist_id: String,
    pub activities: Vec<ActivityItem>,
}

#[utoipa::path(
    get, path = "/playlists/{id}/activities", tag = "playlists",
    params(("id" = String, Path, description = "Playlist id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Song additions and removals, oldest first", body = DataEnvelope<ActivityLog>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Neither owner nor collaborator", body = ErrorBody),
        (status = 404, description = "Unknown playlist", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let membership = authorize(&mut conn, &id, &caller, Need::Member).await?;
    let activities = playlists::activities(&mut conn, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        ActivityLog {
            playlist_id: membership.playlist.id,
            activities: activities
                .into_iter()
                .map(|a| ActivityItem {
                    username: a.username,
                    title: a.title,
                    action: a.action,
                    time: a.time,
                })
                .collect(),
        },
    ))
}

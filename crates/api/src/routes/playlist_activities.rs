//! `GET /playlists/{id}/activities`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::PlaylistId;
use backbeat_services::playlists::activities;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::playlists::{ActivityItem, ActivityLog};

#[utoipa::path(
    get, path = "/playlists/{id}/activities", tag = "playlists",
    params(("id" = String, Path, description = "Playlist id")),
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
    id: web::Path<PlaylistId>,
) -> ApiResult<HttpResponse> {
    let found = activities::list(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        ActivityLog {
            playlist_id: id.into_inner().into_inner(),
            activities: found.into_iter().map(ActivityItem::from).collect(),
        },
    ))
}

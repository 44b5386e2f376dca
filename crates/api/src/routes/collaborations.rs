//! `POST|DELETE /collaborations`: the owner shares a playlist with another user.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::catalog;
use backbeat_domain::ids::{PlaylistId, UserId};
use backbeat_services::playlists::collaborations;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::playlists::CollaborationCreated;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct CollaborationRequest {
    #[schema(value_type = crate::schemas::Reference)]
    playlist_id: String,
    #[schema(value_type = crate::schemas::Reference)]
    user_id: String,
}

fn read_body(body: JsonObject) -> ApiResult<(PlaylistId, UserId)> {
    let mut f = Fields::new(body);
    let playlist_id = f
        .string("playlistId")
        .and_then(|v| f.check(catalog::reference("playlistId", v)));
    let user_id = f
        .string("userId")
        .and_then(|v| f.check(catalog::reference("userId", v)));
    let (playlist_id, user_id) = f.finish((playlist_id, user_id))?;
    Ok((playlist_id.into(), user_id.into()))
}

#[utoipa::path(
    post, path = "/collaborations", tag = "playlists",
    request_body = CollaborationRequest,
    responses(
        (status = 201, description = "The user may now read and edit the playlist's songs", body = DataEnvelope<CollaborationCreated>),
        (status = 400, description = "Invalid body, or the user already collaborates", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the playlist's owner (even to add oneself)", body = ErrorBody),
        (status = 404, description = "Unknown playlist or user", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let (playlist_id, user_id) = read_body(body)?;
    let id = collaborations::add(&state, &caller, &playlist_id, &user_id).await?;
    Ok(response::data(
        StatusCode::CREATED,
        CollaborationCreated {
            collaboration_id: id.into_inner(),
        },
    ))
}

#[utoipa::path(
    delete, path = "/collaborations", tag = "playlists",
    request_body = CollaborationRequest,
    responses(
        (status = 200, description = "Collaboration removed", body = MessageEnvelope),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the playlist's owner", body = ErrorBody),
        (status = 404, description = "Unknown playlist, or the user does not collaborate on it", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let (playlist_id, user_id) = read_body(body)?;
    collaborations::remove(&state, &caller, &playlist_id, &user_id).await?;
    Ok(response::message(StatusCode::OK, "Collaboration removed"))
}

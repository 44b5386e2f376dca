//! `POST|DELETE /collaborations`: the owner shares a playlist with another user.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::collaborations::{self, ALREADY_COLLABORATOR};
use backbeat_db::users;
use backbeat_domain::catalog;
use backbeat_domain::ids::CollaborationId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::routes::playlists::{Need, authorize};
use crate::state::AppState;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct CollaborationRequest {
    #[schema(example = "playlist-Qbax5Oy7L8WKf74l")]
    playlist_id: String,
    #[schema(example = "user-Qbax5Oy7L8WKf74l")]
    user_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollaborationCreated {
    #[schema(example = "collab-Qbax5Oy7L8WKf74l")]
    pub collaboration_id: String,
}

fn read_body(body: JsonObject) -> ApiResult<(String, String)> {
    let mut f = Fields::new(body);
    let playlist_id = f
        .string("playlistId")
        .and_then(|v| f.check(catalog::reference("playlistId", v)));
    let user_id = f
        .string("userId")
        .and_then(|v| f.check(catalog::reference("userId", v)));
    f.finish((playlist_id, user_id))
}

#[utoipa::path(
    post, path = "/collaborations", tag = "playlists",
    request_body = CollaborationRequest,
    security(("bearer" = [])),
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
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    authorize(&mut conn, &playlist_id, &caller, Need::Owner).await?;
    if !users::exists(&mut conn, &user_id).await? {
        return Err(ApiError::NotFound("user not found".to_owned()));
    }
    let id = CollaborationId::generate();
    match collaborations::insert(&mut conn, id.as_str(), &playlist_id, &user_id).await {
        Err(e) if e.is_unique_violation(ALREADY_COLLABORATOR) => Err(ApiError::field(
            "userId",
            "already collaborates on this playlist",
        )),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(response::data(
            StatusCode::CREATED,
            CollaborationCreated {
                collaboration_id: id.0,
            },
        )),
    }
}

#[utoipa::path(
    delete, path = "/collaborations", tag = "playlists",
    request_body = CollaborationRequest,
    security(("bearer" = [])),
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
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    authorize(&mut conn, &playlist_id, &caller, Need::Owner).await?;
    if !collaborations::delete(&mut conn, &playlist_id, &user_id).await? {
        return Err(ApiError::NotFound("collaboration not found".to_owned()));
    }
    Ok(response::message(StatusCode::OK, "Collaboration removed"))
}

//! `POST|GET /playlists`, `DELETE /playlists/{id}`, and the access rule every playlist route
//! shares: unknown playlist 404, someone else's playlist 403.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::AsyncPgConnection;
use backbeat_db::playlists::{self, Membership, PlaylistSummary};
use backbeat_domain::catalog;
use backbeat_domain::ids::PlaylistId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;

/// What a playlist route requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Only the owner (deleting, managing collaborators, exporting).
    Owner,
    /// The owner or a collaborator (reading and editing songs, activities).
    Member,
}

/// The caller's membership of the playlist, or 404 (unknown) / 403 (not allowed).
pub async fn authorize(
    conn: &mut AsyncPgConnection,
    playlist_id: &str,
    caller: &Caller,
    need: Need,
) -> ApiResult<Membership> {
    let membership = playlists::membership(conn, playlist_id, caller.user_id.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound("playlist not found".to_owned()))?;
    let allowed = match need {
        Need::Owner => membership.is_owner,
        Need::Member => membership.is_owner || membership.is_collaborator,
    };
    if !allowed {
        let message = match need {
            Need::Owner => "only the playlist's owner may do this",
            Need::Member => "you are not the owner or a collaborator of this playlist",
        };
        return Err(ApiError::Forbidden(message.to_owned()));
    }
    Ok(membership)
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct PlaylistRequest {
    #[schema(example = "Viva la Vida")]
    name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaylistCreated {
    #[schema(example = "playlist-Qbax5Oy7L8WKf74l")]
    pub playlist_id: String,
}

/// A playlist in a list: exactly these three keys; `username` is the owner's.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaylistItem {
    pub id: String,
    pub name: String,
    pub username: String,
}

impl From<PlaylistSummary> for PlaylistItem {
    fn from(p: PlaylistSummary) -> Self {
        Self {
            id: p.id,
            name: p.name,
            username: p.username,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaylistList {
    pub playlists: Vec<PlaylistItem>,
}

#[utoipa::path(
    post, path = "/playlists", tag = "playlists",
    request_body = PlaylistRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Playlist created; the caller owns it", body = DataEnvelope<PlaylistCreated>),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let name = f
        .string("name")
        .and_then(|v| f.check(catalog::name("name", v)));
    let (name,) = f.finish((name,))?;
    let id = PlaylistId::generate();
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    playlists::insert(&mut conn, id.as_str(), &name, caller.user_id.as_str()).await?;
    Ok(response::data(
        StatusCode::CREATED,
        PlaylistCreated { playlist_id: id.0 },
    ))
}

#[utoipa::path(
    get, path = "/playlists", tag = "playlists",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The playlists the caller owns or collaborates on", body = DataEnvelope<PlaylistList>),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let found = playlists::visible_to(&mut conn, caller.user_id.as_str()).await?;
    Ok(response::data(
        StatusCode::OK,
        PlaylistList {
            playlists: found.into_iter().map(PlaylistItem::from).collect(),
        },
    ))
}

#[utoipa::path(
    delete, path = "/playlists/{id}", tag = "playlists",
    params(("id" = String, Path, description = "Playlist id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Playlist deleted", body = MessageEnvelope),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the owner (collaborators included)", body = ErrorBody),
        (status = 404, description = "Unknown playlist", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    authorize(&mut conn, &id, &caller, Need::Owner).await?;
    playlists::delete(&mut conn, &id).await?;
    Ok(response::message(StatusCode::OK, "Playlist deleted"))
}

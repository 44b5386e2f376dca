//! `POST|GET /playlists`, `DELETE /playlists/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::catalog;
use backbeat_domain::ids::PlaylistId;
use backbeat_services::playlists;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::playlists::{PlaylistCreated, PlaylistItem, PlaylistList};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct PlaylistRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Viva la Vida"
    )]
    name: String,
}

#[utoipa::path(
    post, path = "/playlists", tag = "playlists",
    request_body = PlaylistRequest,
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
    let id = playlists::create(&state, &caller, &name).await?;
    Ok(response::data(
        StatusCode::CREATED,
        PlaylistCreated {
            playlist_id: id.into_inner(),
        },
    ))
}

#[utoipa::path(
    get, path = "/playlists", tag = "playlists",
    responses(
        (status = 200, description = "The playlists the caller owns or collaborates on", body = DataEnvelope<PlaylistList>),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let found = playlists::visible(&state, &caller).await?;
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
    id: web::Path<PlaylistId>,
) -> ApiResult<HttpResponse> {
    playlists::delete(&state, &caller, &id).await?;
    Ok(response::message(StatusCode::OK, "Playlist deleted"))
}

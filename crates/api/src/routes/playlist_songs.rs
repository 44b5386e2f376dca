//! `POST|GET|DELETE /playlists/{id}/songs`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::catalog;
use backbeat_domain::ids::{PlaylistId, SongId};
use backbeat_services::playlists::songs;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::catalog::SongItem;
use crate::views::playlists::{PlaylistSongsData, PlaylistWithSongs};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct PlaylistSongRequest {
    #[schema(value_type = crate::schemas::Reference)]
    song_id: String,
}

fn song_id(body: JsonObject) -> ApiResult<SongId> {
    let mut f = Fields::new(body);
    let song_id = f
        .string("songId")
        .and_then(|v| f.check(catalog::reference("songId", v)));
    let (song_id,) = f.finish((song_id,))?;
    Ok(SongId::from(song_id))
}

#[utoipa::path(
    post, path = "/playlists/{id}/songs", tag = "playlists",
    params(("id" = String, Path, description = "Playlist id")),
    request_body = PlaylistSongRequest,
    responses(
        (status = 201, description = "Song added; an `add` activity is recorded", body = MessageEnvelope),
        (status = 400, description = "Invalid body, or the song is already in the playlist", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Neither owner nor collaborator", body = ErrorBody),
        (status = 404, description = "Unknown playlist or song", body = ErrorBody),
    )
)]
pub async fn add(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<PlaylistId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    songs::add(&state, &caller, &id, &song_id(body)?).await?;
    Ok(response::message(
        StatusCode::CREATED,
        "Song added to playlist",
    ))
}

#[utoipa::path(
    get, path = "/playlists/{id}/songs", tag = "playlists",
    params(("id" = String, Path, description = "Playlist id")),
    responses(
        (status = 200, description = "The playlist with its songs, in the order added", body = DataEnvelope<PlaylistSongsData>),
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
    let (playlist, found) = songs::list(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        PlaylistSongsData {
            playlist: PlaylistWithSongs {
                id: playlist.id.into_inner(),
                name: playlist.name,
                username: playlist.username,
                songs: found.into_iter().map(SongItem::from).collect(),
            },
        },
    ))
}

#[utoipa::path(
    delete, path = "/playlists/{id}/songs", tag = "playlists",
    params(("id" = String, Path, description = "Playlist id")),
    request_body = PlaylistSongRequest,
    responses(
        (status = 200, description = "Song removed; a `delete` activity is recorded", body = MessageEnvelope),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Neither owner nor collaborator", body = ErrorBody),
        (status = 404, description = "Unknown playlist or song, or the song is not in the playlist", body = ErrorBody),
    )
)]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<PlaylistId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    songs::remove(&state, &caller, &id, &song_id(body)?).await?;
    Ok(response::message(
        StatusCode::OK,
        "Song removed from playlist",
    ))
}

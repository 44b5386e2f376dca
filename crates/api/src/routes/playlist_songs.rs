//! `POST|GET|DELETE /playlists/{id}/songs`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::PooledConnection;
use backbeat_db::playlists::{self, SONG_ALREADY_IN_PLAYLIST};
use backbeat_db::songs::{self, SongSummary};
use backbeat_domain::catalog;
use backbeat_domain::ids::ActivityId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::routes::playlists::{Need, authorize};
use crate::routes::songs::SongItem;
use crate::state::AppState;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct PlaylistSongRequest {
    #[schema(example = "song-Qbax5Oy7L8WKf74l")]
    song_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaylistWithSongs {
    pub id: String,
    pub name: String,
    /// The owner's username.
    pub username: String,
    pub songs: Vec<SongItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaylistSongsData {
    pub playlist: PlaylistWithSongs,
}

/// Reads `songId`, checks the caller may edit the playlist (404/403), and finds the song (404).
async fn playlist_and_song(
    state: &AppState,
    caller: &Caller,
    playlist_id: &str,
    body: JsonObject,
) -> ApiResult<(PooledConnection, SongSummary)> {
    let mut f = Fields::new(body);
    let song_id = f
        .string("songId")
        .and_then(|v| f.check(catalog::reference("songId", v)));
    let (song_id,) = f.finish((song_id,))?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    authorize(&mut conn, playlist_id, caller, Need::Member).await?;
    let song = songs::find(&mut conn, &song_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("song not found".to_owned()))?;
    let song = SongSummary {
        id: song.id,
        title: song.title,
        performer: song.performer,
    };
    Ok((conn, song))
}

#[utoipa::path(
    post, path = "/playlists/{id}/songs", tag = "playlists",
    params(("id" = String, Path, description = "Playlist id")),
    request_body = PlaylistSongRequest,
    security(("bearer" = [])),
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
    id: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let (mut conn, song) = playlist_and_song(&state, &caller, &id, body).await?;
    let activity = ActivityId::generate();
    match playlists::add_song(
        &mut conn,
        &id,
        &song,
        caller.user_id.as_str(),
        activity.as_str(),
    )
    .await
    {
        Err(e) if e.is_unique_violation(SONG_ALREADY_IN_PLAYLIST) => {
            Err(ApiError::field("songId", "is already in the playlist"))
        }
        // The song was deleted between the check and the insert.
        Err(backbeat_db::DbError::ForeignKeyViolation(_)) => {
            Err(ApiError::NotFound("song not found".to_owned()))
        }
        Err(e) => Err(e.into()),
        Ok(()) => Ok(response::message(
            StatusCode::CREATED,
            "Song added to playlist",
        )),
    }
}

#[utoipa::path(
    get, path = "/playlists/{id}/songs", tag = "playlists",
    params(("id" = String, Path, description = "Playlist id")),
    security(("bearer" = [])),
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
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let membership = authorize(&mut conn, &id, &caller, Need::Member).await?;
    let found = playlists::songs(&mut conn, &id).await?;
    let playlist = membership.playlist;
    Ok(response::data(
        StatusCode::OK,
        PlaylistSongsData {
            playlist: PlaylistWithSongs {
                id: playlist.id,
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
    security(("bearer" = [])),
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
    id: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let (mut conn, song) = playlist_and_song(&state, &caller, &id, body).await?;
    let activity = ActivityId::generate();
    if !playlists::remove_song(
        &mut conn,
        &id,
        &song,
        caller.user_id.as_str(),
        activity.as_str(),
    )
    .await?
    {
        return Err(ApiError::NotFound(
            "the song is not in this playlist".to_owned(),
        ));
    }
    Ok(response::message(
        StatusCode::OK,
        "Song removed from playlist",
    ))
}

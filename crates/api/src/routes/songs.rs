//! `POST|GET /songs`, `GET|PUT|DELETE /songs/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::catalog;
use backbeat_domain::ids::{AlbumId, SongId};
use backbeat_services::catalog::songs::{self, SearchRequest, SongInput};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::MaybeCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::catalog::{
    PageMeta, SongCreated, SongData, SongItem, SongList, SongListEnvelope,
};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct SongRequest {
    #[schema(example = "Life in Technicolor")]
    title: String,
    #[schema(example = 2008)]
    year: i64,
    #[schema(example = "Indie")]
    genre: String,
    #[schema(example = "Coldplay")]
    performer: String,
    /// Seconds, 0-86400.
    duration: Option<i64>,
    /// An album the caller may write.
    album_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SongQuery {
    /// Case-insensitive substring of the title.
    title: Option<String>,
    /// Case-insensitive substring of the performer (with `title`: both must match).
    performer: Option<String>,
    /// 1-1000; default 1000.
    limit: Option<String>,
    /// `meta.nextCursor` of the previous page.
    cursor: Option<String>,
}

fn read_song(body: JsonObject) -> ApiResult<SongInput> {
    let mut f = Fields::new(body);
    let title = f
        .string("title")
        .and_then(|v| f.check(catalog::title("title", v)));
    let year = f
        .integer("year")
        .and_then(|v| f.check(catalog::year("year", v)));
    let genre = f
        .string("genre")
        .and_then(|v| f.check(catalog::genre("genre", v)));
    let performer = f
        .string("performer")
        .and_then(|v| f.check(catalog::performer("performer", v)));
    let duration = f
        .optional_integer("duration")
        .and_then(|v| f.check(catalog::duration("duration", v)));
    let album_id = f
        .optional_string("albumId")
        .and_then(|v| f.check(catalog::reference("albumId", v)));
    let (title, year, genre, performer, duration, album_id) = f.finish((
        title,
        year,
        genre,
        performer,
        Some(duration),
        Some(album_id),
    ))?;
    Ok(SongInput {
        title,
        year,
        genre,
        performer,
        duration,
        album_id: album_id.map(AlbumId::from),
    })
}

#[utoipa::path(
    post, path = "/songs", tag = "catalog",
    request_body = SongRequest,
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "Song created; the caller owns it", body = DataEnvelope<SongCreated>),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token (unless compat.openmusic_anonymous_catalog)", body = ErrorBody),
        (status = 403, description = "`albumId` names an album the caller may not write", body = ErrorBody),
        (status = 404, description = "`albumId` names no album", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    let id = songs::create(&state, caller.actor(), read_song(body)?).await?;
    Ok(response::data(
        StatusCode::CREATED,
        SongCreated {
            song_id: id.into_inner(),
        },
    ))
}

#[utoipa::path(
    get, path = "/songs", tag = "catalog",
    params(SongQuery),
    responses(
        (status = 200, description = "Matching songs, oldest first, `{id, title, performer}` each", body = SongListEnvelope),
        (status = 400, description = "A parameter is too long, or `limit`/`cursor` is invalid", body = ErrorBody),
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<SongQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = songs::search(
        &state,
        SearchRequest {
            title: query.title,
            performer: query.performer,
            limit: query.limit,
            cursor: query.cursor,
        },
    )
    .await?;
    let meta = (page.paged || page.next_cursor.is_some()).then_some(PageMeta {
        next_cursor: page.next_cursor,
        limit: page.limit,
    });
    Ok(HttpResponse::Ok().json(SongListEnvelope {
        status: "success",
        data: SongList {
            songs: page.songs.into_iter().map(SongItem::from).collect(),
        },
        meta,
    }))
}

#[utoipa::path(
    get, path = "/songs/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Song id")),
    responses(
        (status = 200, description = "The song", body = DataEnvelope<SongData>),
        (status = 404, description = "Unknown song", body = ErrorBody),
    )
)]
pub async fn get(state: web::Data<AppState>, id: web::Path<SongId>) -> ApiResult<HttpResponse> {
    let song = songs::get(&state, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        SongData { song: song.into() },
    ))
}

#[utoipa::path(
    put, path = "/songs/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Song id")),
    request_body = SongRequest,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Song updated (every field replaced; absent optional fields become null)", body = MessageEnvelope),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the owner nor an admin, or `albumId` is not writable by the caller", body = ErrorBody),
        (status = 404, description = "Unknown song or album", body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<SongId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    songs::update(&state, caller.actor(), &id, read_song(body)?).await?;
    Ok(response::message(StatusCode::OK, "Song updated"))
}

#[utoipa::path(
    delete, path = "/songs/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Song id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Song deleted (and removed from every playlist)", body = MessageEnvelope),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown song", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<SongId>,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    songs::delete(&state, caller.actor(), &id).await?;
    Ok(response::message(StatusCode::OK, "Song deleted"))
}

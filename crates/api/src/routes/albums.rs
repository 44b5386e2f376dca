//! `POST /albums`, `GET|PUT|DELETE /albums/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::albums::{self, Album};
use backbeat_db::songs;
use backbeat_domain::catalog;
use backbeat_domain::ids::AlbumId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::MaybeCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::routes::album_covers::media_url;
use crate::routes::songs::SongItem;
use crate::state::AppState;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct AlbumRequest {
    /// 1-200 characters.
    #[schema(example = "Viva la Vida")]
    name: String,
    /// An integer between 1000 and 9999 (a string such as `"2008"` is refused).
    #[schema(example = 2008)]
    year: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlbumCreated {
    #[schema(example = "album-Qbax5Oy7L8WKf74l")]
    pub album_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlbumDetail {
    pub id: String,
    pub name: String,
    pub year: i32,
    /// `null` until a cover is uploaded, then an absolute URL.
    pub cover_url: Option<String>,
    pub songs: Vec<SongItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlbumData {
    pub album: AlbumDetail,
}

fn read_album(body: JsonObject) -> ApiResult<(String, i32)> {
    let mut f = Fields::new(body);
    let name = f
        .string("name")
        .and_then(|v| f.check(catalog::name("name", v)));
    let year = f
        .integer("year")
        .and_then(|v| f.check(catalog::year("year", v)));
    f.finish((name, year))
}

pub(crate) fn album_not_found() -> ApiError {
    ApiError::NotFound("album not found".to_owned())
}

/// The album, checked writable by the caller.
pub(crate) async fn writable_album(
    state: &AppState,
    conn: &mut backbeat_db::AsyncPgConnection,
    caller: &MaybeCaller,
    id: &str,
) -> ApiResult<Album> {
    let album = albums::find(conn, id).await?.ok_or_else(album_not_found)?;
    state
        .catalog_policy()
        .may_write(caller, album.owner_id.as_deref(), "album")?;
    Ok(album)
}

#[utoipa::path(
    post, path = "/albums", tag = "catalog",
    request_body = AlbumRequest,
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "Album created; the caller owns it", body = DataEnvelope<AlbumCreated>),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token (unless compat.openmusic_anonymous_catalog)", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let owner_id = state.catalog_policy().creator(&caller)?;
    let (name, year) = read_album(body)?;
    let album = Album {
        id: AlbumId::generate().0,
        name,
        year,
        owner_id,
        cover_key: None,
    };
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    albums::insert(&mut conn, &album).await?;
    Ok(response::data(
        StatusCode::CREATED,
        AlbumCreated { album_id: album.id },
    ))
}

#[utoipa::path(
    get, path = "/albums/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    responses(
        (status = 200, description = "The album with its songs (`{id, title, performer}` each)", body = DataEnvelope<AlbumData>),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let album = albums::find(&mut conn, &id)
        .await?
        .ok_or_else(album_not_found)?;
    let songs = songs::of_album(&mut conn, &album.id).await?;
    Ok(response::data(
        StatusCode::OK,
        AlbumData {
            album: AlbumDetail {
                id: album.id,
                name: album.name,
                year: album.year,
                cover_url: album.cover_key.as_deref().map(|key| media_url(&state, key)),
                songs: songs.into_iter().map(SongItem::from).collect(),
            },
        },
    ))
}

#[utoipa::path(
    put, path = "/albums/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    request_body = AlbumRequest,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Album updated", body = MessageEnvelope),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(&caller)?;
    let (name, year) = read_album(body)?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let album = writable_album(&state, &mut conn, &caller, &id).await?;
    if !albums::update(&mut conn, &album.id, &name, year).await? {
        return Err(album_not_found());
    }
    Ok(response::message(StatusCode::OK, "Album updated"))
}

#[utoipa::path(
    delete, path = "/albums/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Album deleted; its songs remain, without an album (`albumId: null`)", body = MessageEnvelope),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(&caller)?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let album = writable_album(&state, &mut conn, &caller, &id).await?;
    if !albums::delete(&mut conn, &album.id).await? {
        return Err(album_not_found());
    }
    // Its likes went with it.
    state.likes.invalidate(&album.id).await;
    if let Some(cover) = &album.cover_key
        && let Err(error) = state.storage.delete(cover).await
    {
        tracing::warn!(%error, key = %cover, "cannot remove the deleted album's cover");
    }
    Ok(response::message(StatusCode::OK, "Album deleted"))
}

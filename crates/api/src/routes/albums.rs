//! `POST /albums`, `GET|PUT|DELETE /albums/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::catalog;
use backbeat_domain::ids::AlbumId;
use backbeat_services::catalog::albums::{self, AlbumInput};
use utoipa::ToSchema;

use crate::auth::MaybeCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::catalog::{AlbumCreated, AlbumData, AlbumDetail, SongItem};

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

fn read_album(body: JsonObject) -> ApiResult<AlbumInput> {
    let mut f = Fields::new(body);
    let name = f
        .string("name")
        .and_then(|v| f.check(catalog::name("name", v)));
    let year = f
        .integer("year")
        .and_then(|v| f.check(catalog::year("year", v)));
    let (name, year) = f.finish((name, year))?;
    Ok(AlbumInput { name, year })
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
    state.catalog_policy().require_writer(caller.actor())?;
    let id = albums::create(&state, caller.actor(), read_album(body)?).await?;
    Ok(response::data(
        StatusCode::CREATED,
        AlbumCreated {
            album_id: id.into_inner(),
        },
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
pub async fn get(state: web::Data<AppState>, id: web::Path<AlbumId>) -> ApiResult<HttpResponse> {
    let found = albums::get(&state, &id).await?;
    let album = found.album;
    Ok(response::data(
        StatusCode::OK,
        AlbumData {
            album: AlbumDetail {
                cover_url: album.cover_key.as_deref().map(|key| state.media_url(key)),
                id: album.id.into_inner(),
                name: album.name,
                year: album.year,
                songs: found.songs.into_iter().map(SongItem::from).collect(),
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
    id: web::Path<AlbumId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    albums::update(&state, caller.actor(), &id, read_album(body)?).await?;
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
    id: web::Path<AlbumId>,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    albums::delete(&state, caller.actor(), &id).await?;
    Ok(response::message(StatusCode::OK, "Album deleted"))
}

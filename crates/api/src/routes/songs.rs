//! `POST|GET /songs`, `GET|PUT|DELETE /songs/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::songs::{self, SearchCursor, Song, SongSearch, SongSummary};
use backbeat_db::{AsyncPgConnection, albums};
use backbeat_domain::catalog;
use backbeat_domain::ids::SongId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::MaybeCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::routes::albums::album_not_found;
use crate::state::AppState;

/// Search results per page unless `limit` says otherwise; an openMusic client never pages, so
/// this is large enough to return every match in any catalog it would hold.
const DEFAULT_LIMIT: i64 = 1000;

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

/// A song in a list: exactly these three keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct SongItem {
    pub id: String,
    pub title: String,
    pub performer: String,
}

impl From<SongSummary> for SongItem {
    fn from(song: SongSummary) -> Self {
        Self {
            id: song.id,
            title: song.title,
            performer: song.performer,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SongDetail {
    pub id: String,
    pub title: String,
    pub year: i32,
    pub performer: String,
    pub genre: String,
    pub duration: Option<i32>,
    pub album_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SongCreated {
    #[schema(example = "song-Qbax5Oy7L8WKf74l")]
    pub song_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SongData {
    pub song: SongDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SongList {
    pub songs: Vec<SongItem>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SongListEnvelope {
    #[schema(example = "success")]
    pub status: &'static str,
    pub data: SongList,
    /// Present when the client pages (`limit`/`cursor`) or when more results exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<PageMeta>,
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

/// The validated fields of a song body (POST and PUT).
struct SongInput {
    title: String,
    year: i32,
    genre: String,
    performer: String,
    duration: Option<i32>,
    album_id: Option<String>,
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
        album_id,
    })
}

/// A song may join only an album the caller may write: 404 for an unknown album, 403 otherwise.
async fn check_album(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    caller: &MaybeCaller,
    album_id: Option<&str>,
) -> ApiResult<()> {
    if let Some(album_id) = album_id {
        let album = albums::find(conn, album_id)
            .await?
            .ok_or_else(album_not_found)?;
        state
            .catalog_policy()
            .may_write(caller, album.owner_id.as_deref(), "album")?;
    }
    Ok(())
}

fn song_not_found() -> ApiError {
    ApiError::NotFound("song not found".to_owned())
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
    let owner_id = state.catalog_policy().creator(&caller)?;
    let input = read_song(body)?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    check_album(&state, &mut conn, &caller, input.album_id.as_deref()).await?;
    let song = Song {
        id: SongId::generate().0,
        title: input.title,
        year: input.year,
        genre: input.genre,
        performer: input.performer,
        duration: input.duration,
        album_id: input.album_id,
        owner_id,
    };
    songs::insert(&mut conn, &song).await?;
    Ok(response::data(
        StatusCode::CREATED,
        SongCreated { song_id: song.id },
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
    let mut errors = Vec::new();
    let mut term = |field: &str, value: Option<String>| {
        value.and_then(|v| {
            catalog::search_term(field, v)
                .map_err(|e| errors.push(e))
                .ok()
        })
    };
    let title = term("title", query.title);
    let performer = term("performer", query.performer);
    let paging = query.limit.is_some() || query.cursor.is_some();
    let limit = match query.limit.as_deref().map(str::parse::<i64>) {
        None => DEFAULT_LIMIT,
        Some(Ok(limit)) if (1..=DEFAULT_LIMIT).contains(&limit) => limit,
        Some(_) => {
            errors.push(backbeat_domain::FieldError::new(
                "limit",
                format!("must be an integer between 1 and {DEFAULT_LIMIT}"),
            ));
            DEFAULT_LIMIT
        }
    };
    let after = match query.cursor.as_deref().map(decode_cursor) {
        None => None,
        Some(Some(cursor)) => Some(cursor),
        Some(None) => {
            errors.push(backbeat_domain::FieldError::new(
                "cursor",
                "is not a cursor this server issued",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let search = SongSearch {
        title: title.as_deref().filter(|t| !t.is_empty()),
        performer: performer.as_deref().filter(|p| !p.is_empty()),
        after,
        limit,
    };
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let (found, next) = songs::search(&mut conn, &search).await?;
    let meta = (paging || next.is_some()).then(|| PageMeta {
        next_cursor: next.as_ref().map(encode_cursor),
        limit,
    });
    Ok(HttpResponse::Ok().json(SongListEnvelope {
        status: "success",
        data: SongList {
            songs: found.into_iter().map(SongItem::from).collect(),
        },
        meta,
    }))
}

fn encode_cursor(cursor: &SearchCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}:{}",
        cursor.created_at.timestamp_micros(),
        cursor.id
    ))
}

fn decode_cursor(raw: &str) -> Option<SearchCursor> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    let (micros, id) = decoded.split_once(':')?;
    let created_at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?;
    Some(SearchCursor {
        created_at,
        id: id.to_owned(),
    })
}

#[utoipa::path(
    get, path = "/songs/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Song id")),
    responses(
        (status = 200, description = "The song", body = DataEnvelope<SongData>),
        (status = 404, description = "Unknown song", body = ErrorBody),
    )
)]
pub async fn get(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let song = songs::find(&mut conn, &id)
        .await?
        .ok_or_else(song_not_found)?;
    Ok(response::data(
        StatusCode::OK,
        SongData {
            song: SongDetail {
                id: song.id,
                title: song.title,
                year: song.year,
                performer: song.performer,
                genre: song.genre,
                duration: song.duration,
                album_id: song.album_id,
            },
        },
    ))
}

async fn writable_song(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    caller: &MaybeCaller,
    id: &str,
) -> ApiResult<Song> {
    let song = songs::find(conn, id).await?.ok_or_else(song_not_found)?;
    state
        .catalog_policy()
        .may_write(caller, song.owner_id.as_deref(), "song")?;
    Ok(song)
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
    id: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(&caller)?;
    let input = read_song(body)?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let song = writable_song(&state, &mut conn, &caller, &id).await?;
    if input.album_id != song.album_id {
        check_album(&state, &mut conn, &caller, input.album_id.as_deref()).await?;
    }
    let updated = Song {
        id: song.id,
        title: input.title,
        year: input.year,
        genre: input.genre,
        performer: input.performer,
        duration: input.duration,
        album_id: input.album_id,
        owner_id: song.owner_id,
    };
    if !songs::update(&mut conn, &updated).await? {
        return Err(song_not_found());
    }
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
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(&caller)?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let song = writable_song(&state, &mut conn, &caller, &id).await?;
    if !songs::delete(&mut conn, &song.id).await? {
        return Err(song_not_found());
    }
    Ok(response::message(StatusCode::OK, "Song deleted"))
}

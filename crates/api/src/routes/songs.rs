//! `POST|GET /songs`, `GET|PUT|DELETE /songs/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::catalog;
use backbeat_domain::codes::{Isrc, Iswc};
use backbeat_domain::ids::{AlbumId, ArtistId, SongId};
use backbeat_domain::release::{CONTRIBUTORS_MAX, Contributor};
use backbeat_services::catalog::songs::{self, SearchRequest, SongChanges, SongInput};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::MaybeCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::catalog::{
    PageMeta, SongCreated, SongData, SongDetail, SongItem, SongList, SongListEnvelope,
};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct SongRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Life in Technicolor"
    )]
    title: String,
    #[schema(minimum = 1000, maximum = 9999, example = 2008)]
    year: i64,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Indie"
    )]
    genre: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Coldplay"
    )]
    performer: String,
    /// Seconds.
    #[schema(minimum = 0, maximum = 86400)]
    duration: Option<i64>,
    /// An album the caller may write.
    #[schema(value_type = Option<crate::schemas::Reference>)]
    album_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SongQuery {
    /// Case-insensitive substring of the title.
    #[param(max_length = 200)]
    title: Option<String>,
    /// Case-insensitive substring of the performer (with `title`: both must match).
    #[param(max_length = 200)]
    performer: Option<String>,
    /// 1-1000; default 1000.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// `meta.nextCursor` of the previous page; absent or empty: the first page. A position in
    /// the list (`{micros}.{id}`): every string of this form is one.
    #[param(pattern = r"^([0-9]{1,16}\.[A-Za-z0-9_-]{1,64})?$")]
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
    let request = SearchRequest {
        title: query.title,
        performer: query.performer,
        limit: query.limit,
        cursor: query.cursor,
    };
    let body = songs::search_rendered(&state, request, |page| {
        let meta = (page.paged || page.next_cursor.is_some()).then_some(PageMeta {
            next_cursor: page.next_cursor,
            limit: page.limit,
        });
        let envelope = SongListEnvelope {
            status: "success",
            data: SongList {
                songs: page.songs.into_iter().map(SongItem::from).collect(),
            },
            meta,
        };
        response::json_body(&envelope)
    })
    .await?;
    Ok(response::rendered(body))
}

#[utoipa::path(
    get, path = "/songs/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Song id")),
    responses(
        (status = 200, description = "The song; its owner (and admins) also see its track metadata", body = DataEnvelope<SongData>),
        (status = 404, description = "Unknown song", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<SongId>,
) -> ApiResult<HttpResponse> {
    let found = songs::get(&state, caller.actor(), &id).await?;
    Ok(response::data(
        StatusCode::OK,
        SongData {
            song: SongDetail::new(found.song, found.track),
        },
    ))
}

/// The body of `PATCH /songs/{id}`: every field optional; `null` clears one.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct SongPatchRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        nullable = false
    )]
    title: Option<String>,
    #[schema(minimum = 1000, maximum = 9999, nullable = false)]
    year: Option<i64>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        nullable = false
    )]
    genre: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        nullable = false
    )]
    performer: Option<String>,
    #[schema(minimum = 0, maximum = 86400)]
    duration: Option<i64>,
    /// An album the caller may write.
    #[schema(value_type = Option<crate::schemas::Reference>)]
    album_id: Option<String>,
    /// One of the caller's artists.
    #[schema(value_type = Option<crate::schemas::Reference>)]
    artist_id: Option<String>,
    /// `CC-XXX-YY-NNNNN`, with or without hyphens; unique across the catalog.
    #[schema(
        pattern = r"^[A-Za-z]{2}-?[A-Za-z0-9]{3}-?[0-9]{2}-?[0-9]{5}$",
        example = "US-S1Z-99-00001"
    )]
    isrc: Option<String>,
    /// `T` and 10 digits, the last a check digit; dots and hyphens are ignored.
    #[schema(
        pattern = r"^T-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]$",
        example = "T-034.524.680-1"
    )]
    iswc: Option<String>,
    #[schema(nullable = false)]
    explicit: Option<bool>,
    /// Unique within the album's disc.
    #[schema(minimum = 1, maximum = 999)]
    track_number: Option<i64>,
    #[schema(minimum = 1, maximum = 99)]
    disc_number: Option<i64>,
    /// Up to 50, each `{name, role}`; roles: `MainArtist`, `FeaturedArtist`, `Composer`,
    /// `Lyricist`, `ComposerLyricist`, `Producer`, `Mixer`, `Arranger`.
    #[schema(max_items = 50, value_type = Option<Vec<crate::views::catalog::ContributorView>>)]
    contributors: Option<Vec<serde_json::Value>>,
}

fn bounded(field: &str, value: i64, max: i64) -> Result<i32, FieldError> {
    if (1..=max).contains(&value) {
        Ok(value as i32)
    } else {
        Err(FieldError::new(
            field,
            format!("must be between 1 and {max}"),
        ))
    }
}

fn read_changes(body: JsonObject) -> ApiResult<SongChanges> {
    let mut f = Fields::new(body);
    let title = f
        .present_string("title")
        .and_then(|v| f.check(catalog::title("title", v)));
    let year = f
        .present_integer("year")
        .and_then(|v| f.check(catalog::year("year", v)));
    let genre = f
        .present_string("genre")
        .and_then(|v| f.check(catalog::genre("genre", v)));
    let performer = f
        .present_string("performer")
        .and_then(|v| f.check(catalog::performer("performer", v)));
    let raw = f.patch_integer("duration");
    let duration = f.parse_patch(raw, |v| catalog::duration("duration", v));
    let raw = f.patch_string("albumId");
    let album_id = f.parse_patch(raw, |v| catalog::reference("albumId", v).map(AlbumId::from));
    let raw = f.patch_string("artistId");
    let artist_id = f.parse_patch(raw, |v| {
        catalog::reference("artistId", v).map(ArtistId::from)
    });
    let raw = f.patch_string("isrc");
    let isrc = f.parse_patch(raw, |v| Isrc::parse("isrc", &v));
    let raw = f.patch_string("iswc");
    let iswc = f.parse_patch(raw, |v| Iswc::parse("iswc", &v));
    let explicit = f.present_bool("explicit");
    let raw = f.patch_integer("trackNumber");
    let track_number = f.parse_patch(raw, |v| bounded("trackNumber", v, 999));
    let raw = f.patch_integer("discNumber");
    let disc_number = f.parse_patch(raw, |v| bounded("discNumber", v, 99));
    let raw = f.patch_objects("contributors");
    let contributors = f
        .parse_patch(raw, |list| {
            if list.len() > CONTRIBUTORS_MAX {
                return Err(FieldError::new(
                    "contributors",
                    format!("must list at most {CONTRIBUTORS_MAX} contributors"),
                ));
            }
            list.into_iter()
                .enumerate()
                .map(|(i, mut entry)| {
                    let field = format!("contributors[{i}]");
                    let name = match entry.remove("name") {
                        Some(serde_json::Value::String(name)) => name,
                        _ => return Err(FieldError::new(&field, "needs a `name` string")),
                    };
                    let role = match entry.remove("role") {
                        Some(serde_json::Value::String(role)) => role,
                        _ => return Err(FieldError::new(&field, "needs a `role` string")),
                    };
                    Contributor::parse(&field, name, &role)
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .map(Option::unwrap_or_default);
    f.done()?;
    Ok(SongChanges {
        title,
        year,
        genre,
        performer,
        duration,
        album_id,
        artist_id,
        isrc,
        iswc,
        explicit,
        track_number,
        disc_number,
        contributors,
    })
}

#[utoipa::path(
    patch, path = "/songs/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Song id")),
    request_body = SongPatchRequest,
    responses(
        (status = 200, description = "The song as it now is, with its track metadata", body = DataEnvelope<SongData>),
        (status = 400, description = "A field is invalid (an ISWC with a wrong check digit...)", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the owner nor an admin, or `albumId` is not writable by the caller", body = ErrorBody),
        (status = 404, description = "Unknown song or album, or `artistId` names none of the caller's artists", body = ErrorBody),
        (status = 409, description = "The ISRC is another song's, or the track number another track's on this disc (`CONFLICT`, the field)", body = ErrorBody),
    )
)]
pub async fn patch(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<SongId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    songs::may_change(&state, caller.actor(), &id).await?;
    songs::patch(&state, caller.actor(), &id, read_changes(body)?).await?;
    get(state, caller, id).await
}

#[utoipa::path(
    put, path = "/songs/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Song id")),
    request_body = SongRequest,
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

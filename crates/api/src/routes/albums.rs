//! `POST /albums`, `GET|PUT|DELETE /albums/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::catalog;
use backbeat_domain::codes::Upc;
use backbeat_domain::dates;
use backbeat_domain::ids::{AlbumId, ArtistId};
use backbeat_domain::release::{LABEL_MAX, ReleaseType, RightsLine};
use backbeat_domain::territories::Territories;
use backbeat_domain::validation::text;
use backbeat_services::catalog::albums::{self, AlbumChanges, AlbumInput};
use utoipa::ToSchema;

use crate::auth::MaybeCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::public_url::PublicBase;
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::catalog::{AlbumCreated, AlbumData, AlbumDetail, ReleaseView, SongItem};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct AlbumRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Viva la Vida"
    )]
    name: String,
    /// An integer (a string such as `"2008"` is refused).
    #[schema(minimum = 1000, maximum = 9999, example = 2008)]
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
        (status = 200, description = "The album with its songs (`{id, title, performer}` each); \
            its owner (and admins) also see its release metadata", body = DataEnvelope<AlbumData>),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    base: PublicBase,
    id: web::Path<AlbumId>,
) -> ApiResult<HttpResponse> {
    let body = albums::get_rendered(&state, caller.actor(), &id, &base.0, |found| {
        let album = found.album;
        let data = AlbumData {
            album: AlbumDetail {
                cover_url: album.cover_key.as_deref().map(|key| base.media_url(key)),
                id: album.id.into_inner(),
                name: album.name,
                year: album.year,
                songs: found.songs.into_iter().map(SongItem::from).collect(),
                release: found.release.map(ReleaseView::from),
            },
        };
        response::data_body(&data)
    })
    .await?;
    Ok(response::rendered(body))
}

/// The body of `PATCH /albums/{id}`: every field optional; `null` clears one.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct AlbumPatchRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        nullable = false
    )]
    name: Option<String>,
    #[schema(minimum = 1000, maximum = 9999, nullable = false)]
    year: Option<i64>,
    /// One of the caller's artists.
    #[schema(value_type = Option<crate::schemas::Reference>)]
    artist_id: Option<String>,
    /// UPC-A (12 digits) or EAN-13 (13 digits) with a valid check digit; spaces and hyphens are
    /// ignored. Unique across releases.
    #[schema(pattern = r"^([0-9][ -]?){11,12}[0-9]$", example = "036000291452")]
    upc: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$"
    )]
    label: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$"
    )]
    genre: Option<String>,
    #[schema(value_type = Option<crate::schemas::CalendarDate>)]
    release_date: Option<String>,
    #[schema(value_type = Option<crate::schemas::CalendarDate>)]
    original_release_date: Option<String>,
    /// A year, then the holder.
    #[schema(
        pattern = r"^[1-9][0-9]{3} [^\x00]*[^\x00\s]",
        max_length = 300,
        example = "2026 Backbeat Records"
    )]
    p_line: Option<String>,
    #[schema(
        pattern = r"^[1-9][0-9]{3} [^\x00]*[^\x00\s]",
        max_length = 300,
        example = "2026 Backbeat Records"
    )]
    c_line: Option<String>,
    /// `["Worldwide"]` (the default), ISO 3166-1 alpha-2 codes (`["US", "CA"]`), or
    /// `"Worldwide"` with exclusions written `-CODE` (`["Worldwide", "-KP"]`).
    #[schema(schema_with = crate::schemas::territories, example = json!(["Worldwide"]))]
    territories: Option<Vec<String>>,
    /// `Single`, `EP` or `Album`; `null` derives it from the tracks (up to 3 under 30 minutes: a
    /// single; up to 6: an EP; else an album).
    #[schema(schema_with = crate::schemas::release_type, example = "Album")]
    release_type: Option<String>,
}

fn read_changes(body: JsonObject) -> ApiResult<AlbumChanges> {
    let mut f = Fields::new(body);
    let name = f
        .present_string("name")
        .and_then(|v| f.check(catalog::name("name", v)));
    let year = f
        .present_integer("year")
        .and_then(|v| f.check(catalog::year("year", v)));
    let raw = f.patch_string("artistId");
    let artist_id = f.parse_patch(raw, |v| {
        catalog::reference("artistId", v).map(ArtistId::from)
    });
    let raw = f.patch_string("upc");
    let upc = f.parse_patch(raw, |v| Upc::parse("upc", &v));
    let raw = f.patch_string("label");
    let label = f.parse_patch(raw, |v| text("label", v, LABEL_MAX));
    let raw = f.patch_string("genre");
    let genre = f.parse_patch(raw, |v| catalog::genre("genre", v));
    let raw = f.patch_string("releaseDate");
    let release_date = f.parse_patch(raw, |v| dates::date("releaseDate", &v));
    let raw = f.patch_string("originalReleaseDate");
    let original_release_date = f.parse_patch(raw, |v| dates::date("originalReleaseDate", &v));
    let raw = f.patch_string("pLine");
    let p_line = f.parse_patch(raw, |v| RightsLine::parse("pLine", &v));
    let raw = f.patch_string("cLine");
    let c_line = f.parse_patch(raw, |v| RightsLine::parse("cLine", &v));
    let raw = f.patch_strings("territories");
    let territories = f.parse_patch(raw, |v| Territories::parse("territories", &v));
    let raw = f.patch_string("releaseType");
    let release_type = f.parse_patch(raw, |v| ReleaseType::parse("releaseType", &v));
    f.done()?;
    Ok(AlbumChanges {
        name,
        year,
        artist_id,
        upc,
        label,
        genre,
        release_date,
        original_release_date,
        p_line,
        c_line,
        territories,
        release_type,
    })
}

#[utoipa::path(
    patch, path = "/albums/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    request_body = AlbumPatchRequest,
    responses(
        (status = 200, description = "The album as it now is, with its release metadata", body = DataEnvelope<AlbumData>),
        (status = 400, description = "A field is invalid (a UPC with a wrong check digit...)", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album, or `artistId` names none of the caller's artists", body = ErrorBody),
        (status = 409, description = "The UPC is another release's (`CONFLICT`, field `upc`)", body = ErrorBody),
    )
)]
pub async fn patch(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    base: PublicBase,
    id: web::Path<AlbumId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    albums::may_change(&state, caller.actor(), &id).await?;
    albums::patch(&state, caller.actor(), &id, read_changes(body)?).await?;
    get(state, caller, base, id).await
}

#[utoipa::path(
    put, path = "/albums/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    request_body = AlbumRequest,
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

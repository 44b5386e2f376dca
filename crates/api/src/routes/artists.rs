//! `POST|GET /artists`, `GET|PATCH /artists/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::artists::ArtistPatch;
use backbeat_domain::FieldError;
use backbeat_domain::ids::ArtistId;
use backbeat_domain::validation::text;
use backbeat_services::artists::{self, NewArtist};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::distribution::{ArtistCreated, ArtistData, ArtistList, ArtistView};

pub const NAME_MAX: usize = 200;
pub const BIO_MAX: usize = 5000;
pub const URLS_MAX: usize = 20;
pub const URL_MAX: usize = 500;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct ArtistRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Nadia Rose"
    )]
    name: String,
    #[schema(max_length = 5000, pattern = r"^[^\x00]*$")]
    bio: Option<String>,
    /// Up to 20 `http(s)://` URLs of the artist's pages.
    #[schema(
        value_type = Option<Vec<crate::schemas::WebUrl>>,
        max_items = 20,
        example = json!(["https://nadiarose.example"])
    )]
    external_urls: Option<Vec<String>>,
}

/// The body of `PATCH /artists/{id}`: every field optional; `null` clears `bio`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct ArtistChanges {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        nullable = false
    )]
    name: Option<String>,
    #[schema(max_length = 5000, pattern = r"^[^\x00]*$")]
    bio: Option<String>,
    #[schema(value_type = Option<Vec<crate::schemas::WebUrl>>, max_items = 20)]
    external_urls: Option<Vec<String>>,
}

fn urls(list: Vec<String>) -> Result<Vec<String>, FieldError> {
    if list.len() > URLS_MAX {
        return Err(FieldError::new(
            "externalUrls",
            format!("must list at most {URLS_MAX} URLs"),
        ));
    }
    list.into_iter()
        .map(|url| {
            if url.len() > URL_MAX || !backbeat_domain::web::is_web_address(&url) {
                return Err(FieldError::new(
                    "externalUrls",
                    format!(
                        "`{url}` is not an http(s) URL with a host name (at most {URL_MAX} \
                         characters of printable ASCII)"
                    ),
                ));
            }
            Ok(url)
        })
        .collect()
}

fn optional_bio(value: String) -> Result<Option<String>, FieldError> {
    let bio = backbeat_domain::validation::at_most("bio", value, BIO_MAX)?;
    Ok((!bio.trim().is_empty()).then_some(bio))
}

#[utoipa::path(
    post, path = "/artists", tag = "distribution",
    request_body = ArtistRequest,
    responses(
        (status = 201, description = "Artist created; the caller owns it", body = DataEnvelope<ArtistCreated>),
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
        .and_then(|v| f.check(text("name", v, NAME_MAX)));
    let bio = f
        .optional_string("bio")
        .and_then(|v| f.check(optional_bio(v)));
    let raw = f.patch_strings("externalUrls");
    let external_urls = f.parse_patch(raw, urls).map(Option::unwrap_or_default);
    let (name,) = f.finish((name,))?;
    let id = artists::create(
        &state,
        &caller,
        NewArtist {
            name,
            bio: bio.flatten(),
            external_urls: external_urls.unwrap_or_default(),
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::CREATED,
        ArtistCreated {
            artist_id: id.into_inner(),
        },
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ArtistListQuery {
    /// `true` (the default): the caller's artists, the only listing offered (`false` is 403).
    mine: Option<bool>,
}

#[utoipa::path(
    get, path = "/artists", tag = "distribution",
    params(ArtistListQuery, PageQuery),
    responses(
        (status = 200, description = "The caller's artists, oldest first", body = PageEnvelope<ArtistList>),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "`mine=false` by someone who is not an admin", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<ArtistListQuery>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    if filter.mine == Some(false) {
        return Err(ApiError::Forbidden(
            "only your own artists can be listed".to_owned(),
        ));
    }
    let found = artists::mine(&state, &caller, cursor.as_ref(), limit).await?;
    Ok(response::page(
        ArtistList {
            artists: found.items.into_iter().map(ArtistView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

#[utoipa::path(
    get, path = "/artists/{id}", tag = "distribution",
    params(("id" = String, Path, description = "Artist id")),
    responses(
        (status = 200, description = "The artist", body = DataEnvelope<ArtistData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown artist, or someone else's", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ArtistId>,
) -> ApiResult<HttpResponse> {
    let artist = artists::get(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        ArtistData {
            artist: artist.into(),
        },
    ))
}

#[utoipa::path(
    patch, path = "/artists/{id}", tag = "distribution",
    params(("id" = String, Path, description = "Artist id")),
    request_body = ArtistChanges,
    responses(
        (status = 200, description = "The artist as it now is (`null` clears `bio`; `verified` cannot be set here)", body = DataEnvelope<ArtistData>),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown artist, or someone else's", body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ArtistId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let name = f
        .present_string("name")
        .and_then(|v| f.check(text("name", v, NAME_MAX)));
    let raw = f.patch_string("bio");
    let bio = f.parse_patch(raw, optional_bio).map(Option::flatten);
    let raw = f.patch_strings("externalUrls");
    let external_urls = f.parse_patch(raw, urls).map(Option::unwrap_or_default);
    f.done()?;
    let artist = artists::update(
        &state,
        &caller,
        &id,
        ArtistPatch {
            name,
            bio,
            external_urls,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::OK,
        ArtistData {
            artist: artist.into(),
        },
    ))
}

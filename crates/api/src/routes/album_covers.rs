//! `POST /albums/{id}/covers` (upload) and `GET /media/{key}` (serving stored files).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};
use backbeat_db::albums;
use backbeat_domain::media::ImageFormat;
use backbeat_storage::StorageError;
use futures_util::TryStreamExt;
use rand::Rng;

use crate::auth::MaybeCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::response::{self, MessageEnvelope};
use crate::routes::albums::{album_not_found, writable_album};
use crate::state::AppState;

/// openMusic's limit for a cover.
pub const COVER_MAX_BYTES: usize = 512_000;
/// Room for multipart boundaries, part headers and small extra fields.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!("the cover must be at most {COVER_MAX_BYTES} bytes"))
}

/// The public URL of a stored object.
pub fn media_url(state: &AppState, key: &str) -> String {
    let server = &state.settings.server;
    format!(
        "{}{}/media/{key}",
        server.public_base_url.trim_end_matches('/'),
        server.base_path
    )
}

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the multipart body
pub struct CoverUpload {
    /// A JPEG, PNG or WebP image, at most 512000 bytes, sent with an `image/*` part type.
    #[schema(value_type = String, format = Binary)]
    cover: Vec<u8>,
}

#[utoipa::path(
    post, path = "/albums/{id}/covers", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    request_body(content = CoverUpload, content_type = "multipart/form-data"),
    security((), ("bearer" = [])),
    responses(
        (status = 201, description = "Cover stored; the album's `coverUrl` now serves it (a previous cover is removed)", body = MessageEnvelope),
        (status = 400, description = "No `cover` part, a part type that is not `image/*`, or bytes that are not JPEG, PNG or WebP", body = ErrorBody),
        (status = 401, description = "No access token (unless compat.openmusic_anonymous_catalog)", body = ErrorBody),
        (status = 403, description = "Not the album's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
        (status = 413, description = "Cover over 512000 bytes (checked while streaming)", body = ErrorBody),
        (status = 415, description = "Not a multipart/form-data request", body = ErrorBody),
    )
)]
pub async fn upload(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<String>,
    request: HttpRequest,
    mut multipart: Multipart,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(&caller)?;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > COVER_MAX_BYTES + MULTIPART_OVERHEAD) {
        return Err(too_large());
    }
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType(
            "send the cover as multipart/form-data".to_owned(),
        ));
    }
    let album = {
        let mut conn = backbeat_db::pool::get(&state.db).await?;
        writable_album(&state, &mut conn, &caller, &id).await?
    };

    let mut cover = None;
    let mut read_total = 0usize;
    while let Some(mut field) = multipart
        .try_next()
        .await
        .map_err(|e| ApiError::InvalidJson(format!("malformed multipart body: {e}")))?
    {
        let is_cover = field.name() == Some("cover");
        if is_cover && field.content_type().is_none_or(|m| m.type_() != "image") {
            return Err(ApiError::field(
                "cover",
                "must be an image (image/jpeg, image/png or image/webp)",
            ));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .try_next()
            .await
            .map_err(|e| ApiError::InvalidJson(format!("malformed multipart body: {e}")))?
        {
            read_total += chunk.len();
            if (is_cover && bytes.len() + chunk.len() > COVER_MAX_BYTES)
                || read_total > COVER_MAX_BYTES + MULTIPART_OVERHEAD
            {
                return Err(too_large());
            }
            if is_cover {
                bytes.extend_from_slice(&chunk);
            }
        }
        if is_cover {
            cover = Some(bytes);
        }
    }
    let bytes = cover.ok_or_else(|| ApiError::field("cover", "is required"))?;
    let format = ImageFormat::sniff(&bytes)
        .ok_or_else(|| ApiError::field("cover", "must be a JPEG, PNG or WebP image"))?;

    let name: [u8; 16] = rand::rng().random();
    let name: String = name.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("covers/{}/{name}.{}", album.id, format.extension());
    state
        .storage
        .put(&key, &bytes)
        .await
        .map_err(ApiError::internal)?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    match albums::set_cover(&mut conn, &album.id, &key).await {
        Ok(Some(previous)) => {
            if let Some(previous) = previous
                && let Err(error) = state.storage.delete(&previous).await
            {
                tracing::warn!(%error, key = %previous, "cannot remove the replaced cover");
            }
            Ok(response::message(StatusCode::CREATED, "Cover uploaded"))
        }
        Ok(None) => {
            let _ = state.storage.delete(&key).await;
            Err(album_not_found())
        }
        Err(error) => {
            let _ = state.storage.delete(&key).await;
            Err(error.into())
        }
    }
}

#[utoipa::path(
    get, path = "/media/{key}", tag = "catalog",
    params(("key" = String, Path, description = "Storage key, as found in a `coverUrl`")),
    responses(
        (status = 200, description = "The file, with its content type", content_type = "image/*"),
        (status = 404, description = "No such file", body = ErrorBody),
    )
)]
pub async fn serve(state: web::Data<AppState>, key: web::Path<String>) -> ApiResult<HttpResponse> {
    let not_found = || ApiError::NotFound("file not found".to_owned());
    let format = key
        .rsplit_once('.')
        .and_then(|(_, extension)| ImageFormat::from_extension(extension))
        .ok_or_else(not_found)?;
    let bytes = match state.storage.get(&key).await {
        Ok(bytes) => bytes,
        Err(StorageError::NotFound | StorageError::InvalidKey(_)) => return Err(not_found()),
        Err(error) => return Err(ApiError::internal(error)),
    };
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        // Keys are never reused: a new cover gets a new key.
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(31_536_000),
            CacheDirective::Extension("immutable".to_owned(), None),
        ]))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

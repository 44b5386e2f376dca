//! `POST /albums/{id}/covers`: the openMusic cover upload.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use backbeat_domain::ids::AlbumId;
use backbeat_services::catalog::albums;
use backbeat_services::catalog::covers::{self, COVER_MAX_BYTES};
use futures_util::TryStreamExt;

use crate::auth::MaybeCaller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::response::{self, MessageEnvelope};
use crate::state::AppState;
use crate::upload;

const LIMIT: u64 = COVER_MAX_BYTES as u64;

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
    id: web::Path<AlbumId>,
    request: HttpRequest,
    mut multipart: Multipart,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    upload::check_request(&request, "cover", LIMIT)?;
    // Refuse before reading the upload when the album is unknown or not the caller's.
    let album = albums::writable(&state, &mut *state.conn().await?, caller.actor(), &id).await?;

    let mut cover = None;
    let mut read_total = 0u64;
    while let Some(mut field) = multipart.try_next().await.map_err(upload::malformed)? {
        let is_cover = field.name() == Some("cover");
        if is_cover && field.content_type().is_none_or(|m| m.type_() != "image") {
            return Err(ApiError::field(
                "cover",
                "must be an image (image/jpeg, image/png or image/webp)",
            ));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(upload::malformed)? {
            read_total += chunk.len() as u64;
            if (is_cover && bytes.len() + chunk.len() > COVER_MAX_BYTES)
                || read_total > LIMIT + upload::OVERHEAD
            {
                return Err(upload::too_large("cover", LIMIT));
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
    covers::replace(&state, album, bytes).await?;
    Ok(response::message(StatusCode::CREATED, "Cover uploaded"))
}

//! `PUT /albums/{id}/artwork`: the release's delivery artwork.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use backbeat_domain::ids::AlbumId;
use backbeat_services::catalog::albums;
use backbeat_services::catalog::uploads::{self, Upload};

use crate::auth::MaybeCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::upload;
use crate::views::distribution::ArtworkData;

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the multipart body
pub struct ArtworkUpload {
    /// A square RGB JPEG or PNG image, at least 3000x3000 pixels, at most
    /// `distribution.artwork_max_bytes` (20 MiB by default). The image itself is read.
    #[schema(value_type = String, format = Binary)]
    artwork: Vec<u8>,
}

#[utoipa::path(
    put, path = "/albums/{id}/artwork", tag = "distribution",
    params(("id" = String, Path, description = "Album id")),
    request_body(content = ArtworkUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Stored, replacing any earlier artwork (the openMusic cover is separate)", body = DataEnvelope<ArtworkData>),
        (status = 400, description = "No `artwork` part, or an image that is not usable, with the reason (not JPEG or PNG, CMYK, not square, under 3000 pixels, damaged...)", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the album's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
        (status = 413, description = "Over the size limit (checked while streaming)", body = ErrorBody),
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
    let limit = Upload::Artwork.limit(&state);
    upload::check_request(&request, "artwork", limit)?;
    let album = albums::writable(&state, &mut *state.conn().await?, caller.actor(), &id).await?;
    let incoming = uploads::receive(&state, Upload::Artwork).await?;
    let received = upload::receive(&mut multipart, "artwork", incoming, limit).await?;
    let artwork = uploads::store_artwork(&state, album, received).await?;
    Ok(response::data(
        StatusCode::OK,
        ArtworkData {
            artwork: artwork.into(),
        },
    ))
}

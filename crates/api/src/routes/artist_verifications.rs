//! `POST /artists/{id}/verifications`: a code to place on the artist's external profile.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::ArtistId;
use backbeat_services::verification;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::community::VerificationCreated;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct VerificationRequest {
    /// The artist's page elsewhere (website, Bandcamp, SoundCloud, a social profile) where the
    /// code will be placed.
    #[schema(value_type = crate::schemas::ProfileUrl)]
    profile_url: String,
}

#[utoipa::path(
    post, path = "/artists/{id}/verifications", tag = "community",
    params(("id" = String, Path, description = "Artist id")),
    request_body = VerificationRequest,
    responses(
        (status = 201, description = "A code (8 characters, valid 7 days) to place on the profile page; then `POST /verifications/{id}/check`", body = DataEnvelope<VerificationCreated>),
        (status = 400, description = "Missing or invalid `profileUrl`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown artist, or someone else's", body = ErrorBody),
        (status = 429, description = "Three requests for this artist in the last 24 hours (`RATE_LIMITED`, with `Retry-After`)", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ArtistId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let url = f.string("profileUrl");
    let (url,) = f.finish((url,))?;
    let url = verification::profile_url(&url)?;
    let created = verification::request(&state, &caller, &id, url).await?;
    Ok(response::data(
        StatusCode::CREATED,
        VerificationCreated {
            verification_id: created.id.into_inner(),
            code: created.code,
            expires_at: created.expires_at,
        },
    ))
}

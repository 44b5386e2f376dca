//! `PATCH /videos/{id}/visibility`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::ids::VideoId;
use backbeat_domain::video::Visibility;
use backbeat_services::videos;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::videos::VideoData;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct VisibilityRequest {
    #[schema(schema_with = crate::schemas::visibility)]
    visibility: String,
}

#[utoipa::path(
    patch, path = "/videos/{id}/visibility", tag = "videos",
    params(("id" = String, Path, description = "Video id")),
    request_body = VisibilityRequest,
    responses(
        (status = 200, description = "The video as it is now; the cached playlist is replaced", body = DataEnvelope<VideoData>),
        (status = 400, description = "Invalid `visibility`", body = ErrorBody),
        (status = 401, description = "No access token or API key", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key without `videos:write`", body = ErrorBody),
        (status = 404, description = "Unknown video", body = ErrorBody),
        (status = 409, description = "`visible` asked for a video archived on Wistia or gone from it", body = ErrorBody),
    )
)]
pub async fn set(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<VideoId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let wanted = f.string("visibility").and_then(|v| {
        f.check(Visibility::parse(&v).ok_or_else(|| {
            FieldError::new("visibility", format!("must be {}", Visibility::words()))
        }))
    });
    let wanted = f.finish((wanted,))?.0;
    let video = videos::set_visibility(&state, &caller, &id, wanted).await?;
    Ok(response::data(
        StatusCode::OK,
        VideoData {
            video: video.into(),
        },
    ))
}

//! `POST|GET /albums/{id}/distributions`: distribute a release; its distributions.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::dates;
use backbeat_domain::ids::{AlbumId, PlatformId};
use backbeat_services::distribution;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::distribution::{DistributionList, DistributionStarted, DistributionsStarted};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct DistributeRequest {
    /// Active platforms, each at most once (`GET /platforms`).
    #[schema(
        schema_with = crate::schemas::platform_ids,
        example = json!(["platform-9a4b1c2d3e4f5a6b"])
    )]
    platform_ids: Vec<String>,
    /// When the deals start; a future time keeps the distributions `scheduled` until then (they
    /// are queued within `scheduler.due_distributions_secs` of it). Default: now.
    #[schema(format = DateTime, example = "2026-12-04T00:00:00Z")]
    release_at: Option<String>,
}

#[utoipa::path(
    post, path = "/albums/{id}/distributions", tag = "distribution",
    params(("id" = String, Path, description = "Album id")),
    request_body = DistributeRequest,
    responses(
        (status = 202, description = "One distribution per platform, each with the job delivering it (`null` while scheduled)", body = DataEnvelope<DistributionsStarted>),
        (status = 400, description = "The release is not ready (`details` lists its problems with their codes), or a platform is unknown or inactive", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the album's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
        (status = 409, description = "A platform already has a live distribution of this release (named in `message`); nothing was created", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<AlbumId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let platforms = f.ids::<PlatformId>("platformIds", 100);
    let raw = f.patch_string("releaseAt");
    let release_at = f
        .parse_patch(raw, |v| dates::date_time("releaseAt", &v))
        .flatten();
    f.done()?;
    let platforms = platforms.ok_or_else(|| ApiError::field("platformIds", "is required"))?;
    let created =
        distribution::create(&state, &caller, &id, &platforms, release_at, &request_id.0).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            "Location",
            format!(
                "{}/albums/{}/distributions",
                state.settings.server.base_path, id
            ),
        ))
        .json(DataEnvelope {
            status: "success",
            data: DistributionsStarted {
                distributions: created.into_iter().map(DistributionStarted::from).collect(),
            },
        }))
}

#[utoipa::path(
    get, path = "/albums/{id}/distributions", tag = "distribution",
    params(("id" = String, Path, description = "Album id")),
    responses(
        (status = 200, description = "Every distribution of the release, oldest first, with its history", body = DataEnvelope<DistributionList>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the album's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlbumId>,
) -> ApiResult<HttpResponse> {
    let found = distribution::of_album(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        DistributionList::from(found),
    ))
}

//! `GET /videos`, `GET /videos/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::ids::{TagId, VideoId};
use backbeat_domain::video::Visibility;
use backbeat_services::videos::{self, ListQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::MaybeCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::videos::{VideoData, VideoList, VideoView};

#[derive(Debug, Deserialize, IntoParams)]
pub struct VideoFilter {
    /// `visible` or `hidden` (admins only: anyone else sees visible, ready videos only).
    #[param(schema_with = crate::schemas::visibility)]
    visibility: Option<String>,
    /// Only videos carrying this tag (by id), from Wistia or set locally.
    #[param(value_type = Option<crate::schemas::Reference>)]
    tag: Option<String>,
}

fn visibility(raw: &str) -> Result<Visibility, FieldError> {
    Visibility::parse(raw)
        .ok_or_else(|| FieldError::new("visibility", format!("must be {}", Visibility::words())))
}

#[utoipa::path(
    get, path = "/videos", tag = "videos",
    params(VideoFilter, PageQuery),
    responses(
        (status = 200, description = "Videos, newest first (by when Wistia created them). Anonymous callers and non-admins see visible videos that are ready to play; admins see every video, tombstones included, and may filter by `visibility`", body = PageEnvelope<VideoList>),
        (status = 400, description = "Invalid `visibility`, `tag`, `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "An invalid access token or API key", body = ErrorBody),
        (status = 403, description = "`visibility=hidden` asked by someone other than an admin", body = ErrorBody),
        (status = 404, description = "`tag` names no tag", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    filter: web::Query<VideoFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let wanted = filter.visibility.as_deref().map(visibility).transpose()?;
    let tag = filter
        .tag
        .clone()
        .map(|t| backbeat_domain::catalog::reference("tag", t).map(TagId::from))
        .transpose()?;
    let found = videos::list(
        &state,
        caller.actor(),
        ListQuery {
            visibility: wanted,
            tag,
        },
        cursor.as_ref(),
        limit,
    )
    .await?;
    Ok(response::page(
        VideoList {
            videos: found.items.into_iter().map(VideoView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

#[utoipa::path(
    get, path = "/videos/{id}", tag = "videos",
    params(("id" = String, Path, description = "Video id")),
    responses(
        (status = 200, description = "The video with its tags", body = DataEnvelope<VideoData>),
        (status = 401, description = "An invalid access token or API key", body = ErrorBody),
        (status = 404, description = "Unknown video, or one the caller may not see (hidden or not ready, to anyone but admins)", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<VideoId>,
) -> ApiResult<HttpResponse> {
    let video = videos::get(&state, caller.actor(), &id).await?;
    Ok(response::data(
        StatusCode::OK,
        VideoData {
            video: video.into(),
        },
    ))
}

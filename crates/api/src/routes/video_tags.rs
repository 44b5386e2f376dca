//! `PUT /videos/{id}/tags`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::ids::{TagId, VideoId};
use backbeat_domain::video::TAGS_PER_VIDEO_MAX;
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
#[schema(rename_all = "camelCase")]
pub struct VideoTagsRequest {
    /// The video's local tags, exactly (an empty list removes them). Wistia's tags are not
    /// affected: they follow Wistia at every sync.
    #[schema(schema_with = crate::schemas::tag_ids)]
    tag_ids: Vec<String>,
}

fn tag_ids(list: Vec<String>) -> Result<Vec<TagId>, FieldError> {
    if list.len() > TAGS_PER_VIDEO_MAX {
        return Err(FieldError::new(
            "tagIds",
            format!("must hold at most {TAGS_PER_VIDEO_MAX} tags"),
        ));
    }
    let mut ids: Vec<TagId> = Vec::with_capacity(list.len());
    for id in list {
        let id = TagId::from(backbeat_domain::catalog::reference("tagIds", id)?);
        if ids.contains(&id) {
            return Err(FieldError::new("tagIds", format!("names {id} twice")));
        }
        ids.push(id);
    }
    Ok(ids)
}

#[utoipa::path(
    put, path = "/videos/{id}/tags", tag = "videos",
    params(("id" = String, Path, description = "Video id")),
    request_body = VideoTagsRequest,
    responses(
        (status = 200, description = "The video with its tags; the cached playlist is replaced", body = DataEnvelope<VideoData>),
        (status = 400, description = "Invalid `tagIds`", body = ErrorBody),
        (status = 401, description = "No access token or API key", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key without `videos:write`", body = ErrorBody),
        (status = 404, description = "Unknown video, or a tag id that names no tag", body = ErrorBody),
    )
)]
pub async fn set(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<VideoId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let raw = f.patch_strings("tagIds");
    let ids = f.parse_patch(raw, tag_ids);
    let ids = match ids {
        Some(Some(ids)) => Some(ids),
        Some(None) => {
            f.error(FieldError::new("tagIds", "must be an array of tag ids"));
            None
        }
        None if !f.has_error("tagIds") => {
            f.error(FieldError::new("tagIds", "is required"));
            None
        }
        None => None,
    };
    let ids = f.finish((ids,))?.0;
    let video = videos::set_tags(&state, &caller, &id, ids).await?;
    Ok(response::data(
        StatusCode::OK,
        VideoData {
            video: video.into(),
        },
    ))
}

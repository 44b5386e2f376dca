//! `GET|POST /tags`, `PATCH|DELETE /tags/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::TagId;
use backbeat_domain::video::tag_name;
use backbeat_services::videos::tags;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::videos::{TagCreated, TagData, TagList, TagView};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct TagRequest {
    /// Trimmed; unique regardless of case (`Live` and `live` are one tag).
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^\s*[^\x00-\x1f\x7f-\x9f\s]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f\s])?\s*$",
        example = "Live"
    )]
    name: String,
}

fn name(body: JsonObject) -> Result<String, crate::error::ApiError> {
    let mut f = Fields::new(body);
    let name = f.string("name").and_then(|v| f.check(tag_name("name", v)));
    Ok(f.finish((name,))?.0)
}

#[utoipa::path(
    get, path = "/tags", tag = "videos",
    responses(
        (status = 200, description = "Every tag, by name", body = DataEnvelope<TagList>),
        (status = 401, description = "An invalid access token or API key", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let all = tags::list(&state).await?;
    Ok(response::data(
        StatusCode::OK,
        TagList {
            tags: all.into_iter().map(TagView::from).collect(),
        },
    ))
}

#[utoipa::path(
    post, path = "/tags", tag = "videos",
    request_body = TagRequest,
    responses(
        (status = 201, description = "Tag created (`local`)", body = DataEnvelope<TagCreated>),
        (status = 400, description = "Invalid `name`", body = ErrorBody),
        (status = 401, description = "No access token or API key", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key without `videos:write`", body = ErrorBody),
        (status = 409, description = "A tag with that name (ignoring case) exists", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let id = tags::create(&state, &caller, name(body)?).await?;
    Ok(response::data(
        StatusCode::CREATED,
        TagCreated {
            tag_id: id.into_inner(),
        },
    ))
}

#[utoipa::path(
    patch, path = "/tags/{id}", tag = "videos",
    params(("id" = String, Path, description = "Tag id")),
    request_body = TagRequest,
    responses(
        (status = 200, description = "Renamed; the cached playlist is replaced", body = DataEnvelope<TagData>),
        (status = 400, description = "Invalid `name`", body = ErrorBody),
        (status = 401, description = "No access token or API key", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key without `videos:write`", body = ErrorBody),
        (status = 404, description = "Unknown tag", body = ErrorBody),
        (status = 409, description = "Another tag has that name (ignoring case)", body = ErrorBody),
    )
)]
pub async fn rename(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<TagId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let tag = tags::rename(&state, &caller, &id, name(body)?).await?;
    Ok(response::data(StatusCode::OK, TagData { tag: tag.into() }))
}

#[utoipa::path(
    delete, path = "/tags/{id}", tag = "videos",
    params(("id" = String, Path, description = "Tag id")),
    responses(
        (status = 200, description = "Deleted, from every video; a tag Wistia still uses comes back with the next sync", body = MessageEnvelope),
        (status = 401, description = "No access token or API key", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key without `videos:write`", body = ErrorBody),
        (status = 404, description = "Unknown tag", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<TagId>,
) -> ApiResult<HttpResponse> {
    tags::delete(&state, &caller, &id).await?;
    Ok(response::message(StatusCode::OK, "Tag deleted"))
}

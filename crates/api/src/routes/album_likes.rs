//! `POST|DELETE|GET /albums/{id}/likes`, the count cached in Redis.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::AlbumId;
use backbeat_services::catalog::likes;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::catalog::LikeCount;

#[utoipa::path(
    post, path = "/albums/{id}/likes", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    responses(
        (status = 201, description = "Liked", body = MessageEnvelope),
        (status = 400, description = "Already liked by the caller", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn like(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlbumId>,
) -> ApiResult<HttpResponse> {
    likes::like(&state, &caller, &id).await?;
    Ok(response::message(StatusCode::CREATED, "Album liked"))
}

#[utoipa::path(
    delete, path = "/albums/{id}/likes", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    responses(
        (status = 200, description = "Like removed", body = MessageEnvelope),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown album, or not liked by the caller", body = ErrorBody),
    )
)]
pub async fn unlike(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlbumId>,
) -> ApiResult<HttpResponse> {
    likes::unlike(&state, &caller, &id).await?;
    Ok(response::message(StatusCode::OK, "Album unliked"))
}

#[utoipa::path(
    get, path = "/albums/{id}/likes", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    responses(
        (status = 200, description = "The number of likes; `X-Data-Source: cache` when served from Redis (cached 30 minutes, invalidated by every like and unlike), `database` otherwise", body = DataEnvelope<LikeCount>,
            headers(("X-Data-Source" = String, description = "`cache` or `database`"))),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn count(state: web::Data<AppState>, id: web::Path<AlbumId>) -> ApiResult<HttpResponse> {
    let (likes, source) = likes::count(&state, &id).await?;
    Ok(response::from_source(
        response::data(StatusCode::OK, LikeCount { likes }),
        source,
    ))
}

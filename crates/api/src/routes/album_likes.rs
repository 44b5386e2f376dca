//! `POST|DELETE|GET /albums/{id}/likes`, the count cached in Redis.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::likes::{self, ALREADY_LIKED};
use backbeat_db::{DbError, albums};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::response::{DataEnvelope, MessageEnvelope};
use crate::routes::albums::album_not_found;
use crate::{response, state::AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct LikeCount {
    pub likes: i64,
}

#[utoipa::path(
    post, path = "/albums/{id}/likes", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    security(("bearer" = [])),
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
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    // The foreign key tells an unknown album apart; no lookup first.
    match likes::like(&mut conn, &id, caller.user_id.as_str()).await {
        Err(e) if e.is_unique_violation(ALREADY_LIKED) => {
            return Err(ApiError::field("albumId", "is already liked by you"));
        }
        Err(DbError::ForeignKeyViolation(_)) => return Err(album_not_found()),
        other => other?,
    }
    state.likes.invalidate(&id).await;
    Ok(response::message(StatusCode::CREATED, "Album liked"))
}

#[utoipa::path(
    delete, path = "/albums/{id}/likes", tag = "catalog",
    params(("id" = String, Path, description = "Album id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Like removed", body = MessageEnvelope),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown album, or not liked by the caller", body = ErrorBody),
    )
)]
pub async fn unlike(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    albums::find(&mut conn, &id)
        .await?
        .ok_or_else(album_not_found)?;
    if !likes::unlike(&mut conn, &id, caller.user_id.as_str()).await? {
        return Err(ApiError::NotFound(
            "you have not liked this album".to_owned(),
        ));
    }
    state.likes.invalidate(&id).await;
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
pub async fn count(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let lookup = state.likes.lookup(&id).await;
    if let Some(likes) = lookup.count {
        return Ok(with_source(StatusCode::OK, LikeCount { likes }, "cache"));
    }
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    albums::find(&mut conn, &id)
        .await?
        .ok_or_else(album_not_found)?;
    let likes = likes::count(&mut conn, &id).await?;
    state.likes.store(&id, &lookup, likes).await;
    Ok(with_source(StatusCode::OK, LikeCount { likes }, "database"))
}

fn with_source(status: StatusCode, data: LikeCount, source: &'static str) -> HttpResponse {
    let mut response = response::data(status, data);
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("x-data-source"),
        actix_web::http::header::HeaderValue::from_static(source),
    );
    response
}

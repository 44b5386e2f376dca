//! `GET /media/{key}`: stored public files (covers), served with long-lived caching.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};
use backbeat_services::catalog::covers;

use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;

#[utoipa::path(
    get, path = "/media/{key}", tag = "catalog",
    params(("key" = String, Path, description = "Storage key, as found in a `coverUrl`")),
    responses(
        (status = 200, description = "The file, with its content type", content_type = "image/*"),
        (status = 404, description = "No such file", body = ErrorBody),
    )
)]
pub async fn serve(state: web::Data<AppState>, key: web::Path<String>) -> ApiResult<HttpResponse> {
    let (format, bytes) = covers::read(&state, &key).await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        // Keys are never reused: a new cover gets a new key.
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(31_536_000),
            CacheDirective::Extension("immutable".to_owned(), None),
        ]))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

//! Bench-only routes (`server.reference_routes`), never documented: the cheapest round trip to
//! PostgreSQL and to Redis through the same stack as every read (middleware, access guard,
//! pools, JSON envelope), the limit the benchmark reports each endpoint against.

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, web};
use backbeat_domain::access::Scope::CatalogRead;
use backbeat_services::reference;
use serde_json::json;

use crate::access::{self, Access};
use crate::error::ApiResult;
use crate::response;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The access an anonymous catalog read has, so the reference pays what `GET /albums/{id}` does.
    let guarded = || from_fn(|req, next| access::guard(Access::Open(CatalogRead), req, next));
    cfg.service(web::resource("/bench/select-1").route(web::get().to(select_one).wrap(guarded())))
        .service(web::resource("/bench/redis-get").route(web::get().to(redis_get).wrap(guarded())));
}

async fn select_one(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let value = reference::select_one(&state).await?;
    Ok(response::data(StatusCode::OK, json!({ "value": value })))
}

async fn redis_get(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let value = reference::redis_get(&state).await?;
    Ok(response::data(StatusCode::OK, json!({ "value": value })))
}

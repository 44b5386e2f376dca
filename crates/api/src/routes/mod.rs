//! Route table: one module per resource, each registered here with its methods, so an unknown
//! method on a known path answers 405 (actix's resource default) and an unknown path 404.

pub mod authentications;
pub mod docs;
pub mod health;
pub mod users;

use actix_web::web;

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/users").route(web::post().to(users::create)))
        .service(web::resource("/users/me").route(web::get().to(users::me)))
        .service(
            web::resource("/authentications")
                .route(web::post().to(authentications::login))
                .route(web::put().to(authentications::refresh))
                .route(web::delete().to(authentications::logout)),
        )
        .service(web::resource("/health/live").route(web::get().to(health::live)))
        .service(web::resource("/health/ready").route(web::get().to(health::ready)))
        .configure(docs::configure);
}

pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route not found".to_owned()))
}

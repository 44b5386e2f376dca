//! Route table: one module per resource, each registered here with its methods, so an unknown
//! method on a known path answers 405 (actix's resource default) and an unknown path 404.

pub mod album_covers;
pub mod album_likes;
pub mod albums;
pub mod authentications;
pub mod collaborations;
pub mod docs;
pub mod exports;
pub mod health;
pub mod jobs;
pub mod playlist_activities;
pub mod playlist_songs;
pub mod playlists;
pub mod songs;
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
        .service(web::resource("/albums").route(web::post().to(albums::create)))
        .service(
            web::resource("/albums/{id}")
                .route(web::get().to(albums::get))
                .route(web::put().to(albums::update))
                .route(web::delete().to(albums::delete)),
        )
        .service(web::resource("/albums/{id}/covers").route(web::post().to(album_covers::upload)))
        .service(
            web::resource("/albums/{id}/likes")
                .route(web::post().to(album_likes::like))
                .route(web::delete().to(album_likes::unlike))
                .route(web::get().to(album_likes::count)),
        )
        .service(web::resource("/media/{key:.+}").route(web::get().to(album_covers::serve)))
        .service(
            web::resource("/export/playlists/{id}").route(web::post().to(exports::export_playlist)),
        )
        .service(web::resource("/jobs/{id}").route(web::get().to(jobs::get)))
        .service(
            web::resource("/songs")
                .route(web::post().to(songs::create))
                .route(web::get().to(songs::search)),
        )
        .service(
            web::resource("/songs/{id}")
                .route(web::get().to(songs::get))
                .route(web::put().to(songs::update))
                .route(web::delete().to(songs::delete)),
        )
        .service(
            web::resource("/playlists")
                .route(web::post().to(playlists::create))
                .route(web::get().to(playlists::list)),
        )
        .service(web::resource("/playlists/{id}").route(web::delete().to(playlists::delete)))
        .service(
            web::resource("/playlists/{id}/songs")
                .route(web::post().to(playlist_songs::add))
                .route(web::get().to(playlist_songs::list))
                .route(web::delete().to(playlist_songs::remove)),
        )
        .service(
            web::resource("/playlists/{id}/activities")
                .route(web::get().to(playlist_activities::list)),
        )
        .service(
            web::resource("/collaborations")
                .route(web::post().to(collaborations::create))
                .route(web::delete().to(collaborations::delete)),
        )
        .service(web::resource("/health/live").route(web::get().to(health::live)))
        .service(web::resource("/health/ready").route(web::get().to(health::ready)))
        .service(web::resource("/metrics").route(web::get().to(health::metrics)))
        .configure(docs::configure);
}

pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route not found".to_owned()))
}

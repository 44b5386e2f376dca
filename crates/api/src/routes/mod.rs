//! The route table: one module per resource, each registered below with its methods, so an
//! unknown method on a known path answers 405 (actix's resource default) and an unknown path 404.
//! The same table yields [`ROUTED`], which `openapi::tests` holds the OpenAPI document to, both
//! ways: every route is documented and every documented operation is routed.
//!
//! Route modules never import each other: what several share lives in the services (rules) or
//! in `views` (response shapes).

pub mod album_analytics;
pub mod album_artwork;
pub mod album_covers;
pub mod album_distributions;
pub mod album_likes;
pub mod album_readiness;
pub mod albums;
pub mod analytics;
pub mod artists;
pub mod authentications;
pub mod bulk_distributions;
pub mod collaborations;
pub mod distributions;
pub mod docs;
pub mod exports;
pub mod health;
pub mod job_items;
pub mod jobs;
pub mod media;
pub mod payee_advances;
pub mod platforms;
pub mod playlist_activities;
pub mod playlist_songs;
pub mod playlists;
pub mod royalty_fx;
pub mod royalty_runs;
pub mod royalty_statements;
pub mod song_analytics;
pub mod song_audio;
pub mod song_splits;
pub mod songs;
pub mod usage_report_rejections;
pub mod usage_report_unmatched;
pub mod usage_reports;
pub mod users;

use actix_web::web;

use crate::error::ApiError;

macro_rules! route_table {
    ($( $path:literal => { $( $method:ident : $handler:path ),+ $(,)? } )+) => {
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $( cfg.service(web::resource($path) $( .route(web::$method().to($handler)) )+ ); )+
            cfg.configure(docs::configure);
        }

        /// Every routed `(method, path)` but the documentation's own, in actix's path syntax.
        pub const ROUTED: &[(&str, &str)] = &[ $( $( (stringify!($method), $path), )+ )+ ];
    };
}

route_table! {
    "/users" => { post: users::create }
    "/users/me" => { get: users::me, patch: users::update_me }
    "/authentications" => {
        post: authentications::login,
        put: authentications::refresh,
        delete: authentications::logout,
    }
    "/albums" => { post: albums::create }
    "/albums/{id}" => {
        get: albums::get,
        put: albums::update,
        patch: albums::patch,
        delete: albums::delete,
    }
    "/albums/{id}/covers" => { post: album_covers::upload }
    "/albums/{id}/artwork" => { put: album_artwork::upload }
    "/albums/{id}/readiness" => { get: album_readiness::check }
    "/albums/{id}/analytics" => { get: album_analytics::get }
    "/albums/{id}/distributions" => {
        post: album_distributions::create,
        get: album_distributions::list,
    }
    "/albums/{id}/likes" => {
        post: album_likes::like,
        delete: album_likes::unlike,
        get: album_likes::count,
    }
    "/media/{key:.+}" => { get: media::serve }
    "/export/playlists/{playlistId}" => { post: exports::export_playlist }
    "/jobs/{id}" => { get: jobs::get }
    "/jobs/{id}/items" => { get: job_items::list }
    "/songs" => { post: songs::create, get: songs::search }
    "/songs/{id}" => {
        get: songs::get,
        put: songs::update,
        patch: songs::patch,
        delete: songs::delete,
    }
    "/songs/{id}/audio" => { put: song_audio::upload }
    "/songs/{id}/analytics" => { get: song_analytics::get }
    "/songs/{id}/splits" => { get: song_splits::get, put: song_splits::replace }
    "/playlists" => { post: playlists::create, get: playlists::list }
    "/playlists/{id}" => { delete: playlists::delete }
    "/playlists/{id}/songs" => {
        post: playlist_songs::add,
        get: playlist_songs::list,
        delete: playlist_songs::remove,
    }
    "/playlists/{id}/activities" => { get: playlist_activities::list }
    "/collaborations" => { post: collaborations::create, delete: collaborations::delete }
    "/artists" => { post: artists::create, get: artists::list }
    "/artists/{id}" => { get: artists::get, patch: artists::update }
    "/platforms" => { get: platforms::list, post: platforms::create }
    "/platforms/{id}" => { patch: platforms::update }
    "/distributions" => { get: distributions::list }
    // Before `/distributions/{id}`, which would take `bulk` for an id.
    "/distributions/bulk" => { post: bulk_distributions::create }
    "/distributions/{id}" => { get: distributions::get, delete: distributions::withdraw }
    "/distributions/{id}/retry" => { post: distributions::retry }
    "/usage-reports" => { post: usage_reports::create, get: usage_reports::list }
    "/usage-reports/{id}" => { get: usage_reports::get, delete: usage_reports::delete }
    "/usage-reports/{id}/unmatched" => { get: usage_report_unmatched::list }
    "/usage-reports/{id}/rejections" => { get: usage_report_rejections::list }
    "/analytics/overview" => { get: analytics::overview }
    "/royalties/fx/{period}" => { get: royalty_fx::get, put: royalty_fx::replace }
    "/payees/{userId}/advances" => { post: payee_advances::create }
    "/royalties/runs" => { post: royalty_runs::create }
    "/royalties/runs/{id}" => { get: royalty_runs::get }
    "/royalties/statements" => { get: royalty_statements::list }
    // Before `/royalties/statements/{id}`, which would take `x.csv` for an id.
    "/royalties/statements/{id}.csv" => { get: royalty_statements::csv }
    "/royalties/statements/{id}" => { get: royalty_statements::get }
    "/health/live" => { get: health::live }
    "/health/ready" => { get: health::ready }
    "/metrics" => { get: health::metrics }
}

pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route not found".to_owned()))
}

//! The route table: one module per resource, each registered below with its methods, so an
//! unknown method on a known path answers 405 (actix's resource default) and an unknown path 404.
//! Each route names who may call it ([`Access`]), enforced by the guard every route is wrapped
//! in. The same table yields [`ROUTED`], from which the OpenAPI document's security requirements
//! are written, and which `openapi::tests` holds the document to, both ways: every route is
//! documented and every documented operation is routed.
//!
//! Route modules never import each other: what several share lives in the services (rules) or
//! in `views` (response shapes).

pub mod admin_acknowledgements;
pub mod admin_audit;
pub mod admin_users;
pub mod admin_verifications;
pub mod album_analytics;
pub mod album_artwork;
pub mod album_covers;
pub mod album_distributions;
pub mod album_likes;
pub mod album_readiness;
pub mod albums;
pub mod analytics;
pub mod api_keys;
pub mod artist_verifications;
pub mod artists;
pub mod authentications;
pub mod bench;
pub mod bulk_distributions;
pub mod chat_socket;
pub mod collaborations;
pub mod distributions;
pub mod docs;
pub mod exports;
pub mod health;
pub mod job_items;
pub mod jobs;
pub mod media;
pub mod messages;
pub mod payee_advances;
pub mod payee_payout_thresholds;
pub mod payouts;
pub mod platform_test_deliveries;
pub mod platforms;
pub mod playlist_activities;
pub mod playlist_songs;
pub mod playlists;
pub mod room_members;
pub mod room_messages;
pub mod rooms;
pub mod royalty_approvals;
pub mod royalty_fx;
pub mod royalty_reversals;
pub mod royalty_runs;
pub mod royalty_statements;
pub mod song_analytics;
pub mod song_audio;
pub mod song_splits;
pub mod songs;
pub mod tags;
pub mod usage_report_rejections;
pub mod usage_report_unmatched;
pub mod usage_reports;
pub mod users;
pub mod verifications;
pub mod video_playlist;
pub mod video_sync;
pub mod video_tags;
pub mod video_visibility;
pub mod videos;

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;
use actix_web::middleware::from_fn;
use actix_web::web;
use backbeat_domain::access::Scope::*;

use crate::access::{self, Access, Access::*};
use crate::error::ApiError;
use crate::request_context::RoutePattern;

macro_rules! route_table {
    ($( $path:literal => { $( $method:ident : $handler:path => $access:expr ),+ $(,)? } )+) => {
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $( cfg.service(web::resource($path) $( .route({
                let access: Access = $access;
                web::$method()
                    .to($handler)
                    .wrap(from_fn(move |req: ServiceRequest, next| {
                        req.extensions_mut().insert(RoutePattern($path));
                        access::guard(access, req, next)
                    }))
            }) )+ ); )+
            cfg.configure(docs::configure);
        }

        /// Every routed `(method, path, access)` but the documentation's own, in actix's path
        /// syntax.
        pub const ROUTED: &[(&str, &str, Access)] = &[ $( $( (stringify!($method), $path, $access), )+ )+ ];
    };
}

// Who may call what: `Open` routes take anonymous callers too, `Scoped` ones need a credential;
// either way an API key needs the scope named. Likes count as the listener's library
// (`playlists:*`), like playlists and collaborations.
route_table! {
    "/users" => { post: users::create => SignUp }
    "/users/me" => { get: users::me => SignedIn, patch: users::update_me => Session }
    "/authentications" => {
        post: authentications::login => Login,
        put: authentications::refresh => Public,
        delete: authentications::logout => Public,
    }
    "/api-keys" => { post: api_keys::create => Session, get: api_keys::list => Session }
    "/api-keys/{id}" => { delete: api_keys::revoke => Session }
    "/albums" => { post: albums::create => Open(CatalogWrite) }
    "/albums/{id}" => {
        get: albums::get => Open(CatalogRead),
        put: albums::update => Open(CatalogWrite),
        patch: albums::patch => Open(CatalogWrite),
        delete: albums::delete => Open(CatalogWrite),
    }
    "/albums/{id}/covers" => { post: album_covers::upload => Open(CatalogWrite) }
    "/albums/{id}/artwork" => { put: album_artwork::upload => Open(CatalogWrite) }
    "/albums/{id}/readiness" => { get: album_readiness::check => Scoped(DistributionRead) }
    "/albums/{id}/analytics" => { get: album_analytics::get => Scoped(AnalyticsRead) }
    "/albums/{id}/distributions" => {
        post: album_distributions::create => Scoped(DistributionWrite),
        get: album_distributions::list => Scoped(DistributionRead),
    }
    "/albums/{id}/likes" => {
        post: album_likes::like => Scoped(PlaylistsWrite),
        delete: album_likes::unlike => Scoped(PlaylistsWrite),
        get: album_likes::count => Open(CatalogRead),
    }
    "/media/{key:.+}" => { get: media::serve => Public }
    "/export/playlists/{playlistId}" => { post: exports::export_playlist => Scoped(PlaylistsRead) }
    "/jobs/{id}" => { get: jobs::get => SignedIn }
    "/jobs/{id}/items" => { get: job_items::list => SignedIn }
    "/songs" => { post: songs::create => Open(CatalogWrite), get: songs::search => Open(CatalogRead) }
    "/songs/{id}" => {
        get: songs::get => Open(CatalogRead),
        put: songs::update => Open(CatalogWrite),
        patch: songs::patch => Open(CatalogWrite),
        delete: songs::delete => Open(CatalogWrite),
    }
    "/songs/{id}/audio" => { put: song_audio::upload => Open(CatalogWrite) }
    "/songs/{id}/analytics" => { get: song_analytics::get => Scoped(AnalyticsRead) }
    "/songs/{id}/splits" => {
        get: song_splits::get => Scoped(RoyaltiesRead),
        put: song_splits::replace => Scoped(RoyaltiesWrite),
    }
    "/playlists" => {
        post: playlists::create => Scoped(PlaylistsWrite),
        get: playlists::list => Scoped(PlaylistsRead),
    }
    "/playlists/{id}" => { delete: playlists::delete => Scoped(PlaylistsWrite) }
    "/playlists/{id}/songs" => {
        post: playlist_songs::add => Scoped(PlaylistsWrite),
        get: playlist_songs::list => Scoped(PlaylistsRead),
        delete: playlist_songs::remove => Scoped(PlaylistsWrite),
    }
    "/playlists/{id}/activities" => { get: playlist_activities::list => Scoped(PlaylistsRead) }
    "/collaborations" => {
        post: collaborations::create => Scoped(PlaylistsWrite),
        delete: collaborations::delete => Scoped(PlaylistsWrite),
    }
    "/artists" => {
        post: artists::create => Scoped(CatalogWrite),
        get: artists::list => Scoped(CatalogRead),
    }
    "/artists/{id}" => {
        get: artists::get => Scoped(CatalogRead),
        patch: artists::update => Scoped(CatalogWrite),
    }
    "/artists/{id}/verifications" => { post: artist_verifications::create => Scoped(CatalogWrite) }
    "/verifications/{id}" => { get: verifications::get => Scoped(CatalogRead) }
    "/verifications/{id}/check" => { post: verifications::check => Scoped(CatalogWrite) }
    // Chat is the listener's social side: keys need `playlists:*`, like playlists and likes.
    "/rooms" => { post: rooms::create => Scoped(PlaylistsWrite), get: rooms::list => Scoped(PlaylistsRead) }
    "/rooms/{id}" => { get: rooms::get => Scoped(PlaylistsRead) }
    "/rooms/{id}/members" => { post: room_members::add => Scoped(PlaylistsWrite) }
    "/rooms/{id}/messages" => { get: room_messages::list => Scoped(PlaylistsRead) }
    // Before `/videos/{id}`, which would take them for ids.
    "/videos/playlist" => { get: video_playlist::get => Open(CatalogRead) }
    "/videos/sync" => { patch: video_sync::start => Scoped(VideosWrite) }
    "/videos" => { get: videos::list => Open(CatalogRead) }
    "/videos/{id}" => { get: videos::get => Open(CatalogRead) }
    "/videos/{id}/visibility" => { patch: video_visibility::set => Scoped(VideosWrite) }
    "/videos/{id}/tags" => { put: video_tags::set => Scoped(VideosWrite) }
    "/tags" => { get: tags::list => Open(CatalogRead), post: tags::create => Scoped(VideosWrite) }
    "/tags/{id}" => { patch: tags::rename => Scoped(VideosWrite), delete: tags::delete => Scoped(VideosWrite) }
    "/messages/{id}" => { delete: messages::delete => Scoped(PlaylistsWrite) }
    // The socket authenticates itself (a header, or its first frame) and closes with 1008 when
    // it cannot: browsers cannot send headers with a WebSocket handshake.
    "/ws/chat" => { get: chat_socket::connect => Public }
    "/platforms" => { get: platforms::list => Scoped(DistributionRead), post: platforms::create => Admin }
    "/platforms/{id}" => { patch: platforms::update => Admin }
    "/platforms/{id}/test-deliveries" => {
        post: platform_test_deliveries::create => Admin,
        get: platform_test_deliveries::list => Admin,
    }
    "/distributions" => { get: distributions::list => Scoped(DistributionRead) }
    // Before `/distributions/{id}`, which would take `bulk` for an id.
    "/distributions/bulk" => { post: bulk_distributions::create => Scoped(DistributionWrite) }
    "/distributions/{id}" => {
        get: distributions::get => Scoped(DistributionRead),
        delete: distributions::withdraw => Scoped(DistributionWrite),
    }
    "/distributions/{id}/retry" => { post: distributions::retry => Scoped(DistributionWrite) }
    "/usage-reports" => {
        post: usage_reports::create => Scoped(RoyaltiesWrite),
        get: usage_reports::list => Scoped(RoyaltiesRead),
    }
    "/usage-reports/{id}" => {
        get: usage_reports::get => Scoped(RoyaltiesRead),
        delete: usage_reports::delete => Scoped(RoyaltiesWrite),
    }
    "/usage-reports/{id}/unmatched" => { get: usage_report_unmatched::list => Scoped(RoyaltiesRead) }
    "/usage-reports/{id}/rejections" => { get: usage_report_rejections::list => Scoped(RoyaltiesRead) }
    "/analytics/overview" => { get: analytics::overview => Scoped(AnalyticsRead) }
    "/royalties/fx/{period}" => {
        get: royalty_fx::get => Scoped(RoyaltiesRead),
        put: royalty_fx::replace => Admin,
    }
    "/payees/{userId}/advances" => { post: payee_advances::create => Admin }
    "/payees/{userId}/payout-threshold" => { put: payee_payout_thresholds::replace => Admin }
    "/royalties/runs" => { post: royalty_runs::create => Scoped(RoyaltiesWrite) }
    "/royalties/runs/{id}" => { get: royalty_runs::get => Scoped(RoyaltiesRead) }
    "/royalties/runs/{id}/approval" => { post: royalty_approvals::approve_run => Admin }
    "/royalties/statements" => { get: royalty_statements::list => Scoped(RoyaltiesRead) }
    // Before `/royalties/statements/{id}`, which would take `x.csv` or `x.pdf` for an id.
    "/royalties/statements/{id}.csv" => { get: royalty_statements::csv => Scoped(RoyaltiesRead) }
    "/royalties/statements/{id}.pdf" => { get: royalty_statements::pdf => Scoped(RoyaltiesRead) }
    "/royalties/statements/{id}" => { get: royalty_statements::get => Scoped(RoyaltiesRead) }
    "/royalties/statements/{id}/approval" => { post: royalty_approvals::approve_statement => Admin }
    "/royalties/payouts" => { post: payouts::create => Admin }
    // Before `/royalties/payouts/{id}`, which would take `x.csv` for an id.
    "/royalties/payouts/{id}.csv" => { get: payouts::payment_file => Admin }
    "/royalties/payouts/{id}" => { get: payouts::get => Admin }
    "/royalties/payouts/{id}/paid" => { post: payouts::mark_paid => Admin }
    "/royalties/periods/{period}/reversal" => { post: royalty_reversals::create => Admin }
    "/admin/users" => { get: admin_users::list => Admin }
    "/admin/users/{id}" => { patch: admin_users::update => Admin }
    "/admin/audit" => { get: admin_audit::list => Admin }
    "/admin/acknowledgements" => { get: admin_acknowledgements::list => Admin }
    "/admin/verifications" => { get: admin_verifications::list => Admin }
    "/admin/verifications/{id}/approve" => { post: admin_verifications::approve => Admin }
    "/admin/verifications/{id}/reject" => { post: admin_verifications::reject => Admin }
    "/health/live" => { get: health::live => Public }
    "/health/ready" => { get: health::ready => Public }
    "/metrics" => { get: health::metrics => Public }
}

pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("route not found".to_owned()))
}

//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorCode, FieldDetail};
use crate::routes::{
    album_analytics, album_artwork, album_covers, album_distributions, album_likes,
    album_readiness, albums, analytics, artists, authentications, bulk_distributions,
    collaborations, distributions, exports, health, job_items, jobs, media, payee_advances,
    platforms, playlist_activities, playlist_songs, playlists, royalty_fx, royalty_runs,
    royalty_statements, song_analytics, song_audio, song_splits, songs, usage_report_rejections,
    usage_report_unmatched, usage_reports, users,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "backbeat",
        description = "The backbeat music platform API. Routes follow the openMusic v3 contract \
            where it applies. Every error is JSON: `{status, message, code, details?}` with a \
            stable `code`; unknown routes answer 404 `NOT_FOUND`, wrong methods 405 \
            `METHOD_NOT_ALLOWED`, malformed JSON 400 `INVALID_JSON`, bodies over 1 MiB 413 \
            `PAYLOAD_TOO_LARGE`, and an unavailable dependency 503 `UNAVAILABLE` with \
            `Retry-After`. Unknown body fields are ignored. Every response carries `X-Request-Id`."
    ),
    paths(
        users::create,
        users::me,
        users::update_me,
        authentications::login,
        authentications::refresh,
        authentications::logout,
        albums::create,
        albums::get,
        albums::update,
        albums::patch,
        albums::delete,
        album_artwork::upload,
        album_readiness::check,
        album_distributions::create,
        album_distributions::list,
        album_covers::upload,
        media::serve,
        album_likes::like,
        album_likes::unlike,
        album_likes::count,
        songs::create,
        songs::search,
        songs::get,
        songs::update,
        songs::patch,
        songs::delete,
        song_audio::upload,
        playlists::create,
        playlists::list,
        playlists::delete,
        playlist_songs::add,
        playlist_songs::list,
        playlist_songs::remove,
        playlist_activities::list,
        collaborations::create,
        collaborations::delete,
        exports::export_playlist,
        jobs::get,
        job_items::list,
        artists::create,
        artists::list,
        artists::get,
        artists::update,
        platforms::list,
        platforms::create,
        platforms::update,
        distributions::list,
        distributions::get,
        distributions::withdraw,
        distributions::retry,
        bulk_distributions::create,
        usage_reports::create,
        usage_reports::list,
        usage_reports::get,
        usage_reports::delete,
        usage_report_unmatched::list,
        usage_report_rejections::list,
        song_analytics::get,
        album_analytics::get,
        analytics::overview,
        song_splits::get,
        song_splits::replace,
        royalty_fx::get,
        royalty_fx::replace,
        payee_advances::create,
        royalty_runs::create,
        royalty_runs::get,
        royalty_statements::list,
        royalty_statements::get,
        royalty_statements::csv,
        health::live,
        health::ready,
        health::metrics,
    ),
    components(schemas(ErrorBody, ErrorCode, FieldDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Sign-up and tokens"),
        (name = "catalog", description = "Albums and songs (openMusic). Writes need an access token unless \
            `compat.openmusic_anonymous_catalog` is set; the creator owns the row and only the owner or an admin \
            may change it."),
        (name = "playlists", description = "Playlists, their songs, activities and collaborations (openMusic)"),
        (name = "distribution", description = "Artists, release metadata and masters, readiness, platforms, and delivery \
            to them as DDEX ERN 4.3 packages: one release at a time or in bulk, scheduled, cancelled, taken down, retried. \
            A caller reads and changes only their own artists, releases and distributions (admins: all); another's id \
            answers 404 (403 for an album or song that exists, as for openMusic writes)."),
        (name = "royalties", description = "Platforms' usage reports (CSV and DDEX DSR) imported into usage lines, \
            analytics over them, splits, the distributor's fee, exchange rates and advances, and royalty runs that turn a \
            period's usage into statements: money is exact decimal throughout, each song's net is rounded once to the \
            cent and split by largest remainder, so payees' amounts add up to it exactly. Reports, runs and contract \
            terms are for admins; analytics for the catalog's owner; a statement for its payee."),
        (name = "jobs", description = "Background work started by other routes"),
        (name = "operations", description = "Health checks and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from `POST /authentications`"))
                    .build(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::OpenApi;

    use super::ApiDoc;
    use crate::routes::ROUTED;

    /// `/media/{key:.+}` and `/export/playlists/{playlistId}` → `/media/{}`, `/export/playlists/{}`.
    fn shape(path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn every_route_is_documented_and_every_documented_operation_is_routed() {
        let routed: BTreeSet<(String, String)> = ROUTED
            .iter()
            .map(|(method, path)| ((*method).to_owned(), shape(path)))
            .collect();
        assert_eq!(routed.len(), ROUTED.len(), "a route is declared twice");
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("document serialises");
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .expect("path item")
                    .keys()
                    .filter(|key| {
                        ["get", "put", "post", "delete", "patch", "head", "options"]
                            .contains(&key.as_str())
                    })
                    .map(move |method| (method.clone(), shape(path)))
            })
            .collect();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routed but not documented: {undocumented:?}"
        );
        assert!(
            unrouted.is_empty(),
            "documented but not routed: {unrouted:?}"
        );
    }
}

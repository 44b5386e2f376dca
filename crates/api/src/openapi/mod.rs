//! The OpenAPI 3.1 document, generated from the handlers' annotations, with what every
//! operation shares (security from the route table, conventions, response links) written in by
//! modifiers.

mod conventions;
mod links;

use backbeat_domain::access::Scope;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::access::Access;

use crate::error::{ErrorBody, ErrorCode, FieldDetail};
use crate::routes::{
    ROUTED, admin_acknowledgements, admin_audit, admin_users, admin_verifications, album_analytics,
    album_artwork, album_covers, album_distributions, album_likes, album_readiness, albums,
    analytics, api_keys, artist_verifications, artists, authentications, bulk_distributions,
    collaborations, distributions, exports, health, job_items, jobs, media, messages,
    payee_advances, payee_payout_thresholds, payouts, platform_test_deliveries, platforms,
    playlist_activities, playlist_songs, playlists, room_members, room_messages, rooms,
    royalty_approvals, royalty_fx, royalty_reversals, royalty_runs, royalty_statements,
    song_analytics, song_audio, song_splits, songs, tags, usage_report_rejections,
    usage_report_unmatched, usage_reports, users, verifications, video_playlist, video_sync,
    video_tags, video_visibility, videos,
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
            `Retry-After`. Unknown body fields are ignored. Every response carries `X-Request-Id`. \
            Login, sign-up and every authenticated route are rate limited per client address or per \
            account (configurable per route class): their responses carry `RateLimit-Limit`, \
            `RateLimit-Remaining` and `RateLimit-Reset` (seconds), and a request over the limit gets \
            429 `RATE_LIMITED` with `Retry-After`. A login that cannot be given a password-hashing slot \
            within `auth.hash_wait_ms` gets 503 `UNAVAILABLE` with `Retry-After`."
    ),
    paths(
        users::create,
        users::me,
        users::update_me,
        authentications::login,
        authentications::refresh,
        authentications::logout,
        api_keys::create,
        api_keys::list,
        api_keys::revoke,
        admin_users::list,
        admin_users::update,
        admin_audit::list,
        admin_acknowledgements::list,
        admin_verifications::list,
        admin_verifications::approve,
        admin_verifications::reject,
        rooms::create,
        rooms::list,
        rooms::get,
        room_members::add,
        room_messages::list,
        messages::delete,
        artist_verifications::create,
        verifications::get,
        verifications::check,
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
        platform_test_deliveries::create,
        platform_test_deliveries::list,
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
        payee_payout_thresholds::replace,
        royalty_runs::create,
        royalty_runs::get,
        royalty_statements::list,
        royalty_statements::get,
        royalty_statements::csv,
        royalty_statements::pdf,
        royalty_approvals::approve_run,
        royalty_approvals::approve_statement,
        payouts::create,
        payouts::get,
        payouts::payment_file,
        payouts::mark_paid,
        royalty_reversals::create,
        videos::list,
        videos::get,
        video_playlist::get,
        video_sync::start,
        video_visibility::set,
        video_tags::set,
        tags::list,
        tags::create,
        tags::rename,
        tags::delete,
        health::live,
        health::ready,
        health::metrics,
    ),
    components(schemas(ErrorBody, ErrorCode, FieldDetail)),
    modifiers(&Security, &Conventions, &Links),
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
        (name = "access", description = "API keys: an account's keys for its scripts and services, each limited \
            to scopes (see the `apiKey` security scheme) and acting as the account, never for admin actions; \
            managed from a login session only."),
        (name = "administration", description = "Accounts' roles and status, and the audit log (admins, with a \
            login session)."),
        (name = "videos", description = "The platform's videos hosted on Wistia, kept in a local catalog by a sync \
            job (on demand with `PATCH /videos/sync`, and on a schedule; one at a time): listed, hidden and tagged \
            here without calling Wistia. Anyone may read visible videos that are ready to play; admins (with a login \
            session, or an API key with `videos:write`) see every video and manage visibility and tags. Tags from \
            Wistia are kept apart from local ones: a sync replaces only Wistia's, `PUT /videos/{id}/tags` only the \
            local ones."),
        (name = "community", description = "Chat rooms, their members and history, and artist verification. \
            Live chat is the WebSocket `GET /ws/chat` (RFC 6455), which OpenAPI cannot describe and this document \
            leaves out: authenticate with `Authorization: Bearer <access token or API key>` on the handshake or an \
            `{\"type\":\"auth\",\"token\":...}` first frame, then exchange JSON text frames (`join_room`, \
            `send_message`, `react`, `typing`, `leave_room`; the server sends `message`, `reaction`, `user_joined`, \
            ... and `error {code, message, field?}`). The README's chat section is the protocol. A plain `GET` \
            without the handshake is 400."),
        (name = "jobs", description = "Background work started by other routes"),
        (name = "operations", description = "Health checks and metrics"),
    )
)]
pub struct ApiDoc;

/// Rules utoipa's schema types cannot hold (`not`), written into the document as JSON.
fn beyond_utoipa(doc: &mut serde_json::Value) {
    // A split names its payee by account or by email, never both: "names" is the property
    // being there as a string (null reads as absent).
    let names = |field: &str| serde_json::json!({"required": [field], "properties": {field: {"type": "string"}}});
    let only = |field: &str, other: &str| {
        let mut schema = names(field);
        schema["not"] = names(other);
        schema
    };
    let schemas = &mut doc["components"]["schemas"];
    schemas["SplitRequest"]["oneOf"] = serde_json::json!([
        only("payeeUserId", "payeeEmail"),
        only("payeeEmail", "payeeUserId"),
    ]);
    // A platform created to deliver over SFTP says where and as whom. (A change to SFTP needs
    // them only when the platform holds none yet: that depends on what is stored.)
    schemas["PlatformRequest"]["if"] = serde_json::json!({
        "required": ["deliveryMethod"],
        "properties": {"deliveryMethod": {"const": "sftp"}},
    });
    schemas["PlatformRequest"]["then"] = serde_json::json!({
        "required": ["sftpHost", "sftpUsername", "sftpHostKey"],
        "properties": {
            "sftpHost": {"type": "string"},
            "sftpUsername": {"type": "string"},
            "sftpHostKey": {"type": "string"},
        },
    });
}

/// The document as this server serves it: what depends on its settings written in (the base
/// path, and the base currency that advances are in and exchange rates are to).
pub fn served(settings: &backbeat_config::Settings) -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    if !settings.server.base_path.is_empty() {
        doc.servers = Some(vec![utoipa::openapi::Server::new(
            &settings.server.base_path,
        )]);
    }
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    beyond_utoipa(&mut doc);
    if let Ok(base) =
        backbeat_domain::money::Currency::parse("currency", &settings.royalties.base_currency)
    {
        let schemas = &mut doc["components"]["schemas"];
        let advance = &mut schemas["AdvanceRequest"]["properties"];
        advance["currency"] = serde_json::json!({
            "type": "string",
            "enum": [base.code()],
            "description": "The base currency (`royalties.base_currency`).",
        });
        advance["amount"]["pattern"] = crate::schemas::positive_decimal(base.minor_digits()).into();
        let digits = base.minor_digits();
        schemas["ThresholdRequest"]["properties"]["amount"]["pattern"] = if digits == 0 {
            "^[0-9]{1,12}$".to_owned()
        } else {
            format!(r"^[0-9]{{1,12}}(\.[0-9]{{1,{digits}}})?$")
        }
        .into();
        let others: Vec<&str> = backbeat_domain::money::money_codes()
            .iter()
            .copied()
            .filter(|code| *code != base.code())
            .collect();
        schemas["FxRequest"]["properties"]["rates"]["propertyNames"] =
            serde_json::json!({"type": "string", "enum": others});
    }
    doc
}

struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        conventions::apply(openapi);
    }
}

struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        links::add(openapi);
    }
}

/// The security schemes, and each operation's requirements written from the route table, so
/// that the document states exactly what the guard enforces.
struct Security;

const BEARER: &str = "bearer";
const API_KEY: &str = "apiKey";

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from `POST /authentications`. An API key (`bbk_...`) may be \
                         sent here too, with the scopes listed under `apiKey`.",
                    ))
                    .build(),
            ),
        );
        let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key".to_owned(),
                format!(
                    "An API key from `POST /api-keys`, acting as its owner limited to its scopes: {}. \
                     An operation lists the scope it needs; a key without it gets 403 \
                     `INSUFFICIENT_SCOPE`. Operations that list no `apiKey` requirement refuse keys.",
                    scopes.join(", ")
                ),
            ))),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ];
            for (method, operation) in operations {
                let (Some(operation), Some(access)) = (operation.as_mut(), access_of(method, path))
                else {
                    continue;
                };
                secure(operation, access);
            }
        }
    }
}

fn access_of(method: &str, documented_path: &str) -> Option<Access> {
    ROUTED
        .iter()
        .find(|(m, p, _)| *m == method && shape(p) == shape(documented_path))
        .map(|(_, _, access)| *access)
}

fn secure(operation: &mut Operation, access: Access) {
    let bearer = || SecurityRequirement::new(BEARER, Vec::<String>::new());
    let key = |scopes: Vec<&str>| SecurityRequirement::new(API_KEY, scopes);
    operation.security = match access {
        Access::Public | Access::Login | Access::SignUp => None,
        Access::Open(scope) => Some(vec![
            SecurityRequirement::default(),
            bearer(),
            key(vec![scope.as_str()]),
        ]),
        Access::Scoped(scope) => Some(vec![bearer(), key(vec![scope.as_str()])]),
        Access::SignedIn => Some(vec![bearer(), key(Vec::new())]),
        Access::Session | Access::Admin => Some(vec![bearer()]),
    };
    // What the guard itself answers, where the operation does not already say more.
    let mut answers = Vec::new();
    if !matches!(access, Access::Public) {
        answers.push((
            "429",
            "Over the rate limit of its route class (`RATE_LIMITED`, with `Retry-After`)",
        ));
        answers.push((
            "503",
            "A service it needs is unavailable (`UNAVAILABLE`, with `Retry-After`)",
        ));
    }
    if !matches!(access, Access::Public | Access::Login | Access::SignUp) {
        answers.push((
            "401",
            "The access token or API key sent is missing where required, invalid, expired or revoked",
        ));
        answers.push((
            "403",
            "Not allowed: an API key without the operation's scope (`INSUFFICIENT_SCOPE`), a key \
             where only a login session is accepted, a suspended account, or a role too low",
        ));
    }
    for (status, description) in answers {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .into()
            });
    }
}

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::OpenApi;

    use super::{ApiDoc, shape};
    use crate::routes::ROUTED;

    #[test]
    fn every_route_is_documented_and_every_documented_operation_is_routed() {
        let routed: BTreeSet<(String, String)> = ROUTED
            .iter()
            .map(|(method, path, _)| ((*method).to_owned(), shape(path)))
            .collect();
        assert_eq!(routed.len(), ROUTED.len(), "a route is declared twice");
        // WebSockets are no HTTP operations: the `community` tag describes this one.
        let routed: BTreeSet<(String, String)> = routed
            .into_iter()
            .filter(|(_, path)| path != "/ws/chat")
            .collect();
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

    #[test]
    fn every_operation_states_the_access_the_route_table_enforces() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("document serialises");
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["apiKey"]["in"], "header");
        assert_eq!(schemes["apiKey"]["name"], "X-Api-Key");
        let described = schemes["apiKey"]["description"].as_str().expect("text");
        for scope in backbeat_domain::access::Scope::ALL {
            assert!(described.contains(scope.as_str()), "{scope} undocumented");
        }
        let operation = |method: &str, path: &str| doc["paths"][path][method].clone();
        // A key needs the route's scope; anonymous callers are allowed on open routes only.
        assert_eq!(
            operation("get", "/albums/{id}")["security"],
            serde_json::json!([{}, {"bearer": []}, {"apiKey": ["catalog:read"]}])
        );
        assert_eq!(
            operation("post", "/royalties/runs")["security"],
            serde_json::json!([{"bearer": []}, {"apiKey": ["royalties:write"]}])
        );
        // Admin actions and key management: a login session, never a key.
        for (method, path) in [
            ("patch", "/admin/users/{id}"),
            ("post", "/api-keys"),
            ("post", "/platforms"),
        ] {
            assert_eq!(
                operation(method, path)["security"],
                serde_json::json!([{"bearer": []}]),
                "{method} {path}"
            );
        }
        assert!(
            operation("post", "/authentications")
                .get("security")
                .is_none()
        );
        // Every operation that takes a key names exactly one known scope, or none (any key).
        let known: BTreeSet<&str> = backbeat_domain::access::Scope::ALL
            .iter()
            .map(|s| s.as_str())
            .collect();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                for requirement in op["security"].as_array().into_iter().flatten() {
                    if let Some(scopes) = requirement.get("apiKey") {
                        let scopes = scopes.as_array().expect("list");
                        assert!(scopes.len() <= 1, "{method} {path}");
                        assert!(
                            scopes
                                .iter()
                                .all(|s| known.contains(s.as_str().unwrap_or(""))),
                            "{method} {path}: {scopes:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn links_lead_to_documented_operations_and_parameters_state_their_rules() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("document serialises");
        let mut links = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("item") {
                for response in operation["responses"].as_object().into_iter().flatten() {
                    for (name, link) in response.1["links"].as_object().into_iter().flatten() {
                        let target = link["operationRef"].as_str().expect("operationRef");
                        let (target_path, target_method) = target
                            .strip_prefix("#/paths/")
                            .and_then(|t| t.rsplit_once('/'))
                            .expect("a path and a method");
                        let target_path = target_path.replace("~1", "/").replace("~0", "~");
                        assert!(
                            doc["paths"][&target_path][target_method].is_object(),
                            "{method} {path} link {name} leads nowhere"
                        );
                        for parameter in link["parameters"].as_object().expect("parameters").keys()
                        {
                            let name = parameter.strip_prefix("path.").expect("a path parameter");
                            assert!(target_path.contains(&format!("{{{name}}}")), "{target}");
                        }
                        links += 1;
                    }
                }
                // A query string cannot carry `null`.
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if parameter["in"] == "query" {
                        let types = &parameter["schema"]["type"];
                        assert!(
                            !types.as_array().is_some_and(|t| t.contains(&"null".into())),
                            "{method} {path} {}",
                            parameter["name"]
                        );
                    }
                }
            }
        }
        assert!(links > 40, "only {links} links");
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["AlbumRequest"]["properties"]["year"]["minimum"],
            1000
        );
        assert_eq!(
            schemas["AlbumRequest"]["properties"]["year"]["maximum"],
            9999
        );
        assert_eq!(schemas["Reference"]["minLength"], 1);
        // A PATCH body with no required field may be left out (it reads as `{}`).
        assert_eq!(
            doc["paths"]["/albums/{id}"]["patch"]["requestBody"]["required"],
            false
        );
        assert_eq!(
            doc["paths"]["/albums"]["post"]["requestBody"]["required"],
            true
        );
    }
}

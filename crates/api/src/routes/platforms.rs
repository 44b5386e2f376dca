//! `GET|POST /platforms`, `PATCH /platforms/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::platforms::PlatformPatch;
use backbeat_domain::FieldError;
use backbeat_domain::ids::PlatformId;
use backbeat_domain::validation::text;
use backbeat_services::distribution::platforms::{self, NewPlatform};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::distribution::{PlatformCreated, PlatformData, PlatformList, PlatformView};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct PlatformRequest {
    /// Lower-case letters, digits and `_`; unique; cannot change.
    #[schema(pattern = "^[a-z0-9_]{2,40}$", example = "napster")]
    code: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Napster"
    )]
    name: String,
    /// The DDEX party id the platform assigned (`PADPIDA...`).
    #[schema(pattern = "^PADPIDA[A-Za-z0-9]{1,33}$", example = "PADPIDA2011072101T")]
    party_id: String,
    /// `folder` (the default): packages are written to the platform's drop folder. `sftp`: they
    /// are uploaded to its SFTP server, which needs `sftpHost`, `sftpUsername` and `sftpHostKey`.
    #[schema(pattern = "^(folder|sftp)$", nullable = false, example = "sftp")]
    delivery_method: Option<String>,
    /// Folder method: the drop folder under the delivery root, its code when absent. SFTP: a
    /// folder under the login directory, the login directory itself when absent.
    #[schema(
        pattern = "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
        max_length = 200,
        nullable = false,
        example = "incoming/ddex"
    )]
    delivery_folder: Option<String>,
    #[schema(
        pattern = "^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$",
        nullable = false,
        example = "sftp.example.com"
    )]
    sftp_host: Option<String>,
    /// 22 when absent.
    #[schema(minimum = 1, maximum = 65535, nullable = false, example = 22)]
    sftp_port: Option<i32>,
    #[schema(
        pattern = "^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$",
        nullable = false,
        example = "backbeat"
    )]
    sftp_username: Option<String>,
    /// The SHA-256 fingerprint of the server's host key, as `ssh-keygen -l` prints it: a server
    /// showing any other key is refused.
    #[schema(
        pattern = "^SHA256:[A-Za-z0-9+/]{43}$",
        nullable = false,
        example = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
    )]
    sftp_host_key: Option<String>,
    /// `release_by_release` (the default): each package is announced by appearing whole.
    /// `batch` (DDEX ECHO's batch profile): packages go into a batch folder named by its creation
    /// time, closed by `BatchComplete_{batchId}.xml` once every package in it is in place.
    #[schema(
        pattern = "^(release_by_release|batch)$",
        nullable = false,
        example = "batch"
    )]
    delivery_profile: Option<String>,
    /// Releases per batch at most; 100 when absent.
    #[schema(minimum = 1, maximum = 10000, nullable = false, example = 100)]
    batch_max_releases: Option<i32>,
    /// Where the platform writes its acknowledgements, under the delivery folder;
    /// `acknowledgements` when absent.
    #[schema(
        pattern = "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
        max_length = 200,
        nullable = false,
        example = "acknowledgements"
    )]
    acknowledgement_folder: Option<String>,
    /// A platform in onboarding gets test messages only (`MessageControlType` TestMessage), and
    /// admins may send it test deliveries; `false` (live) when absent.
    #[schema(nullable = false, example = false)]
    onboarding: Option<bool>,
}

/// The body of `PATCH /platforms/{id}`: every field optional.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct PlatformChanges {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        nullable = false
    )]
    name: Option<String>,
    #[schema(pattern = "^PADPIDA[A-Za-z0-9]{1,33}$", nullable = false)]
    party_id: Option<String>,
    /// An inactive platform takes no new distributions.
    #[schema(nullable = false)]
    active: Option<bool>,
    /// `sftp` needs the platform's SFTP server described (here or before).
    #[schema(pattern = "^(folder|sftp)$", nullable = false)]
    delivery_method: Option<String>,
    /// `null`: the platform's code (folder method), the login directory (SFTP).
    #[schema(pattern = "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$", max_length = 200)]
    delivery_folder: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$", nullable = false)]
    sftp_host: Option<String>,
    #[schema(minimum = 1, maximum = 65535, nullable = false)]
    sftp_port: Option<i32>,
    #[schema(pattern = "^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$", nullable = false)]
    sftp_username: Option<String>,
    #[schema(pattern = "^SHA256:[A-Za-z0-9+/]{43}$", nullable = false)]
    sftp_host_key: Option<String>,
    #[schema(pattern = "^(release_by_release|batch)$", nullable = false)]
    delivery_profile: Option<String>,
    #[schema(minimum = 1, maximum = 10000, nullable = false)]
    batch_max_releases: Option<i32>,
    #[schema(
        pattern = "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
        max_length = 200,
        nullable = false
    )]
    acknowledgement_folder: Option<String>,
    /// `false` puts the platform live: what is sent to it from then on is live.
    #[schema(nullable = false)]
    onboarding: Option<bool>,
    /// The distributor's fee on this platform's revenue in basis points; `null`: the configured
    /// default (`royalties.default_fee_bps`, 1500). Applies to periods run from then on.
    #[schema(minimum = 0, maximum = 10000, example = 1200)]
    fee_bps: Option<i32>,
}

fn fee_bps(value: i64) -> Result<i32, FieldError> {
    i32::try_from(value)
        .ok()
        .filter(|bps| (0..=10_000).contains(bps))
        .ok_or_else(|| {
            FieldError::new(
                "feeBps",
                "must be a whole number of basis points from 0 to 10000",
            )
        })
}

fn code(value: String) -> Result<String, FieldError> {
    let valid = (2..=40).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    valid
        .then_some(value)
        .ok_or_else(|| FieldError::new("code", "must be 2-40 lower-case letters, digits or `_`"))
}

fn party_id(value: String) -> Result<String, FieldError> {
    let valid = value.len() > 7
        && value.len() <= 40
        && value.starts_with("PADPIDA")
        && value.bytes().all(|b| b.is_ascii_alphanumeric());
    valid.then_some(value).ok_or_else(|| {
        FieldError::new(
            "partyId",
            "must be a DDEX party id: PADPIDA and letters or digits",
        )
    })
}

/// A relative path under the delivery root (or the SFTP login directory), never a way out of it:
/// `/`-separated names of letters, digits, `_` and `-` (so no `..`, no hidden folders).
fn folder(value: String) -> Result<String, FieldError> {
    let valid = (1..=200).contains(&value.len())
        && value.split('/').all(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    valid.then_some(value).ok_or_else(|| {
        FieldError::new(
            "deliveryFolder",
            "must be a relative path of up to 200 characters: names of letters, digits, `_` or `-` separated by `/`",
        )
    })
}

fn delivery_profile(value: String) -> Result<String, FieldError> {
    matches!(value.as_str(), "release_by_release" | "batch")
        .then_some(value)
        .ok_or_else(|| {
            FieldError::new("deliveryProfile", "must be `release_by_release` or `batch`")
        })
}

fn batch_max_releases(value: i64) -> Result<i32, FieldError> {
    i32::try_from(value)
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| FieldError::new("batchMaxReleases", "must be from 1 to 10000"))
}

fn acknowledgement_folder(value: String) -> Result<String, FieldError> {
    folder(value).map_err(|e| FieldError::new("acknowledgementFolder", e.message))
}

fn delivery_method(value: String) -> Result<String, FieldError> {
    matches!(value.as_str(), "folder" | "sftp")
        .then_some(value)
        .ok_or_else(|| FieldError::new("deliveryMethod", "must be `folder` or `sftp`"))
}

/// A host name or an IPv4 address.
fn sftp_host(value: String) -> Result<String, FieldError> {
    let valid = (1..=253).contains(&value.len())
        && !value.starts_with(['.', '-'])
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    valid.then_some(value).ok_or_else(|| {
        FieldError::new(
            "sftpHost",
            "must be a host name or IPv4 address (letters, digits, `.` and `-`)",
        )
    })
}

fn sftp_port(value: i64) -> Result<i32, FieldError> {
    i32::try_from(value)
        .ok()
        .filter(|port| (1..=65_535).contains(port))
        .ok_or_else(|| FieldError::new("sftpPort", "must be a port from 1 to 65535"))
}

fn sftp_username(value: String) -> Result<String, FieldError> {
    let valid = (1..=64).contains(&value.len())
        && !value.starts_with('-')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    valid.then_some(value).ok_or_else(|| {
        FieldError::new(
            "sftpUsername",
            "must be 1-64 letters, digits, `.`, `_` or `-`",
        )
    })
}

/// `SHA256:` and 43 characters of unpadded base64, as `ssh-keygen -l` prints a fingerprint.
fn sftp_host_key(value: String) -> Result<String, FieldError> {
    let valid = value.strip_prefix("SHA256:").is_some_and(|digest| {
        digest.len() == 43
            && digest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    });
    valid.then_some(value).ok_or_else(|| {
        FieldError::new(
            "sftpHostKey",
            "must be the host key's SHA-256 fingerprint as `ssh-keygen -l` prints it (SHA256:...)",
        )
    })
}

#[utoipa::path(
    get, path = "/platforms", tag = "distribution",
    responses(
        (status = 200, description = "Every platform, by name; admins also see each one's delivery settings", body = DataEnvelope<PlatformList>),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let found = platforms::list(&state).await?;
    let settings = platforms::sees_delivery_settings(&caller);
    Ok(response::data(
        StatusCode::OK,
        PlatformList {
            platforms: found
                .into_iter()
                .map(|p| PlatformView::new(p, settings))
                .collect(),
        },
    ))
}

#[utoipa::path(
    post, path = "/platforms", tag = "distribution",
    request_body = PlatformRequest,
    responses(
        (status = 201, description = "Platform added, active, delivering to its drop folder or SFTP server", body = DataEnvelope<PlatformCreated>),
        (status = 400, description = "Invalid body, or SFTP delivery without its server", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "The code is another platform's (`CONFLICT`, field `code`)", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let code = f.string("code").and_then(|v| f.check(code(v)));
    let name = f.string("name").and_then(|v| f.check(text("name", v, 100)));
    let party = f.string("partyId").and_then(|v| f.check(party_id(v)));
    let delivery_method = f
        .optional_string("deliveryMethod")
        .and_then(|v| f.check(delivery_method(v)));
    let delivery_folder = f
        .optional_string("deliveryFolder")
        .and_then(|v| f.check(folder(v)));
    let host = f
        .optional_string("sftpHost")
        .and_then(|v| f.check(sftp_host(v)));
    let port = f
        .optional_integer("sftpPort")
        .and_then(|v| f.check(sftp_port(v)));
    let username = f
        .optional_string("sftpUsername")
        .and_then(|v| f.check(sftp_username(v)));
    let host_key = f
        .optional_string("sftpHostKey")
        .and_then(|v| f.check(sftp_host_key(v)));
    let profile = f
        .optional_string("deliveryProfile")
        .and_then(|v| f.check(delivery_profile(v)));
    let batch_max = f
        .optional_integer("batchMaxReleases")
        .and_then(|v| f.check(batch_max_releases(v)));
    let ack_folder = f
        .optional_string("acknowledgementFolder")
        .and_then(|v| f.check(acknowledgement_folder(v)));
    let onboarding = f.present_bool("onboarding");
    let (code, name, party_id, delivery_folder) =
        f.finish((code, name, party, Some(delivery_folder)))?;
    let platform = platforms::create(
        &state,
        &caller,
        NewPlatform {
            code,
            name,
            party_id,
            delivery_method: delivery_method.unwrap_or_else(|| "folder".to_owned()),
            delivery_folder,
            sftp_host: host,
            sftp_port: port,
            sftp_username: username,
            sftp_host_key: host_key,
            delivery_profile: profile,
            batch_max_releases: batch_max,
            acknowledgement_folder: ack_folder,
            onboarding,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::CREATED,
        PlatformCreated {
            platform_id: platform.id.to_string(),
            platform: PlatformView::new(platform, true),
        },
    ))
}

#[utoipa::path(
    patch, path = "/platforms/{id}", tag = "distribution",
    params(("id" = String, Path, description = "Platform id")),
    request_body = PlatformChanges,
    responses(
        (status = 200, description = "The platform as it now is (`code` cannot change; an inactive platform takes no new distributions)", body = DataEnvelope<PlatformData>),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<PlatformId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let name = f
        .present_string("name")
        .and_then(|v| f.check(text("name", v, 100)));
    let party = f
        .present_string("partyId")
        .and_then(|v| f.check(party_id(v)));
    let active = f.present_bool("active");
    let delivery_method = f
        .present_string("deliveryMethod")
        .and_then(|v| f.check(delivery_method(v)));
    let raw = f.patch_string("deliveryFolder");
    let delivery_folder = f.parse_patch(raw, folder);
    let host = f
        .present_string("sftpHost")
        .and_then(|v| f.check(sftp_host(v)));
    let port = f
        .present_integer("sftpPort")
        .and_then(|v| f.check(sftp_port(v)));
    let username = f
        .present_string("sftpUsername")
        .and_then(|v| f.check(sftp_username(v)));
    let host_key = f
        .present_string("sftpHostKey")
        .and_then(|v| f.check(sftp_host_key(v)));
    let raw = f.patch_integer("feeBps");
    let fee_bps = f.parse_patch(raw, fee_bps);
    let profile = f
        .present_string("deliveryProfile")
        .and_then(|v| f.check(delivery_profile(v)));
    let batch_max = f
        .present_integer("batchMaxReleases")
        .and_then(|v| f.check(batch_max_releases(v)));
    let ack_folder = f
        .present_string("acknowledgementFolder")
        .and_then(|v| f.check(acknowledgement_folder(v)));
    let onboarding = f.present_bool("onboarding");
    f.done()?;
    let platform = platforms::update(
        &state,
        &caller,
        &id,
        PlatformPatch {
            name,
            party_id: party,
            active,
            delivery_method,
            delivery_folder,
            fee_bps,
            sftp_host: host,
            sftp_port: port,
            sftp_username: username,
            sftp_host_key: host_key,
            delivery_profile: profile,
            batch_max_releases: batch_max,
            acknowledgement_folder: ack_folder,
            onboarding,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::OK,
        PlatformData {
            platform: PlatformView::new(platform, true),
        },
    ))
}

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
    /// The drop folder under the delivery root; its code when absent.
    #[schema(pattern = "^[a-z0-9_-]{1,60}$", nullable = false)]
    delivery_folder: Option<String>,
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
    /// `null`: the platform's code.
    #[schema(pattern = "^[a-z0-9_-]{1,60}$")]
    delivery_folder: Option<String>,
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

/// A folder name under the delivery root, never a path out of it.
fn folder(value: String) -> Result<String, FieldError> {
    let valid = (1..=60).contains(&value.len())
        && !value.starts_with('.')
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    valid.then_some(value).ok_or_else(|| {
        FieldError::new(
            "deliveryFolder",
            "must be 1-60 lower-case letters, digits, `_` or `-`",
        )
    })
}

#[utoipa::path(
    get, path = "/platforms", tag = "distribution",
    responses(
        (status = 200, description = "Every platform, by name", body = DataEnvelope<PlatformList>),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, _caller: Caller) -> ApiResult<HttpResponse> {
    let found = platforms::list(&state).await?;
    Ok(response::data(
        StatusCode::OK,
        PlatformList {
            platforms: found.into_iter().map(PlatformView::from).collect(),
        },
    ))
}

#[utoipa::path(
    post, path = "/platforms", tag = "distribution",
    request_body = PlatformRequest,
    responses(
        (status = 201, description = "Platform added, active, delivering to its drop folder", body = DataEnvelope<PlatformCreated>),
        (status = 400, description = "Invalid body, or the code is taken", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
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
    let delivery_folder = f
        .optional_string("deliveryFolder")
        .and_then(|v| f.check(folder(v)));
    let (code, name, party_id, delivery_folder) =
        f.finish((code, name, party, Some(delivery_folder)))?;
    let platform = platforms::create(
        &state,
        &caller,
        NewPlatform {
            code,
            name,
            party_id,
            delivery_folder,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::CREATED,
        PlatformCreated {
            platform_id: platform.id.to_string(),
            platform: platform.into(),
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
    let raw = f.patch_string("deliveryFolder");
    let delivery_folder = f.parse_patch(raw, folder);
    let raw = f.patch_integer("feeBps");
    let fee_bps = f.parse_patch(raw, fee_bps);
    f.done()?;
    let platform = platforms::update(
        &state,
        &caller,
        &id,
        PlatformPatch {
            name,
            party_id: party,
            active,
            delivery_method: None,
            delivery_folder,
            fee_bps,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::OK,
        PlatformData {
            platform: platform.into(),
        },
    ))
}

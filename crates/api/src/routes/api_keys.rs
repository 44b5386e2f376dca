//! `POST|GET /api-keys`, `DELETE /api-keys/{id}`: an account's keys, managed from a login session.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::access::Scope;
use backbeat_domain::dates;
use backbeat_domain::ids::ApiKeyId;
use backbeat_domain::validation::text;
use backbeat_services::api_keys::{self, NAME_MAX, NewKey};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::access::{ApiKeyCreated, ApiKeyList, ApiKeyView};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct ApiKeyRequest {
    /// What the key is for; 1-100 characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "label catalog sync"
    )]
    name: String,
    /// What the key may do; it can never do more than its owner.
    #[schema(
        schema_with = crate::schemas::scopes,
        example = json!(["catalog:read", "distribution:write"])
    )]
    scopes: Vec<String>,
    /// When the key stops working (RFC 3339, in the future); never when absent.
    #[schema(format = DateTime)]
    expires_at: Option<String>,
}

fn scopes(list: Vec<String>) -> Result<Vec<Scope>, FieldError> {
    if list.is_empty() {
        return Err(FieldError::new("scopes", "must name at least one scope"));
    }
    list.iter()
        .map(|s| {
            Scope::parse(s).ok_or_else(|| {
                FieldError::new(
                    "scopes",
                    format!("`{s}` is not a scope (expected {})", Scope::words()),
                )
            })
        })
        .collect()
}

#[utoipa::path(
    post, path = "/api-keys", tag = "access",
    request_body = ApiKeyRequest,
    responses(
        (status = 201, description = "The key, with its secret shown this once", body = DataEnvelope<ApiKeyCreated>),
        (status = 400, description = "Invalid name, unknown scope, or `expiresAt` not in the future", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Called with an API key (keys cannot create keys)", body = ErrorBody),
        (status = 409, description = "The account already holds 50 live keys", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let name = f
        .string("name")
        .and_then(|v| f.check(text("name", v, NAME_MAX)));
    let scopes = match f.patch_strings("scopes") {
        Some(Some(list)) => f.check(scopes(list)),
        // Absent or null; a value of the wrong type was already reported.
        _ if !f.has_error("scopes") => f.check(Err(FieldError::new("scopes", "is required"))),
        _ => None,
    };
    let raw = f.patch_string("expiresAt");
    let expires_at = f.parse_patch(raw, |v| dates::date_time("expiresAt", &v));
    let (name, scopes) = f.finish((name, scopes))?;
    let created = api_keys::create(
        &state,
        &caller,
        NewKey {
            name,
            scopes,
            expires_at: expires_at.flatten(),
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::CREATED,
        ApiKeyCreated {
            api_key_id: created.key.id.to_string(),
            key: created.secret,
            api_key: created.key.into(),
        },
    ))
}

#[utoipa::path(
    get, path = "/api-keys", tag = "access",
    responses(
        (status = 200, description = "The caller's keys, newest first, revoked and expired ones included; never their secrets", body = DataEnvelope<ApiKeyList>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Called with an API key", body = ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let keys = api_keys::list(&state, &caller).await?;
    Ok(response::data(
        StatusCode::OK,
        ApiKeyList {
            api_keys: keys.into_iter().map(ApiKeyView::from).collect(),
        },
    ))
}

#[utoipa::path(
    delete, path = "/api-keys/{id}", tag = "access",
    params(("id" = String, Path, description = "API key id")),
    responses(
        (status = 200, description = "Revoked: refused from the next request on, on every API process", body = MessageEnvelope),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Called with an API key", body = ErrorBody),
        (status = 404, description = "Unknown key, or someone else's", body = ErrorBody),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ApiKeyId>,
) -> ApiResult<HttpResponse> {
    api_keys::revoke(&state, &caller, &id).await?;
    Ok(response::message(StatusCode::OK, "API key revoked"))
}

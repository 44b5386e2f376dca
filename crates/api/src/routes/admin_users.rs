//! `GET /admin/users`, `PATCH /admin/users/{id}`: admins find accounts and change their role and
//! status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::access::UserStatus;
use backbeat_domain::ids::UserId;
use backbeat_domain::{FieldError, Role};
use backbeat_services::admin::users::{self, Change, Search};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::access::{AccountData, AccountList, AccountView};

const SEARCH_MAX: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountFilter {
    /// A case-insensitive part of the username, full name or email (at most 100 characters).
    #[param(max_length = 100)]
    search: Option<String>,
    #[param(schema_with = crate::schemas::role)]
    role: Option<String>,
    #[param(schema_with = crate::schemas::user_status)]
    status: Option<String>,
}

fn role(field: &str, raw: &str) -> Result<Role, FieldError> {
    raw.parse()
        .map_err(|_| FieldError::new(field, "must be user, admin or super_admin"))
}

fn status(field: &str, raw: &str) -> Result<UserStatus, FieldError> {
    UserStatus::parse(raw)
        .ok_or_else(|| FieldError::new(field, format!("must be {}", UserStatus::words())))
}

#[utoipa::path(
    get, path = "/admin/users", tag = "administration",
    params(AccountFilter, PageQuery),
    responses(
        (status = 200, description = "Accounts, oldest first", body = PageEnvelope<AccountList>),
        (status = 400, description = "Invalid filter, `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<AccountFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let mut errors = Vec::new();
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > SEARCH_MAX) {
        errors.push(FieldError::new(
            "search",
            format!("must be at most {SEARCH_MAX} characters"),
        ));
    }
    let role = filter
        .role
        .as_deref()
        .and_then(|r| role("role", r).map_err(|e| errors.push(e)).ok());
    let status = filter
        .status
        .as_deref()
        .and_then(|s| status("status", s).map_err(|e| errors.push(e)).ok());
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let found = users::search(
        &state,
        &caller,
        Search {
            text: search,
            role,
            status,
        },
        cursor.as_ref(),
        limit,
    )
    .await?;
    Ok(response::page(
        AccountList {
            users: found.items.into_iter().map(AccountView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct AccountChange {
    /// Up to the caller's own role.
    #[schema(schema_with = crate::schemas::role)]
    role: Option<String>,
    #[schema(schema_with = crate::schemas::user_status)]
    status: Option<String>,
}

#[utoipa::path(
    patch, path = "/admin/users/{id}", tag = "administration",
    params(("id" = String, Path, description = "User id")),
    request_body = AccountChange,
    responses(
        (status = 200, description = "The account as it now is. A suspended account cannot log in, and its access \
            tokens, refresh tokens and API keys are refused from the next request on; a role change takes effect \
            on the next request too (access tokens issued before it must be refreshed).", body = DataEnvelope<AccountData>),
        (status = 400, description = "Unknown role or status", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "A role above the caller's, an account ranked above the caller's, not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown user", body = ErrorBody),
        (status = 409, description = "It would leave no active super admin, or the caller would suspend themselves", body = ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let new_role = f
        .present_string("role")
        .and_then(|v| f.check(role("role", &v)));
    let new_status = f
        .present_string("status")
        .and_then(|v| f.check(status("status", &v)));
    // Neither given: nothing changes, and the account is shown as it is.
    f.done()?;
    let account = users::update(
        &state,
        &caller,
        &id,
        Change {
            role: new_role,
            status: new_status,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::OK,
        AccountData {
            user: account.into(),
        },
    ))
}

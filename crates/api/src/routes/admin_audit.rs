//! `GET /admin/audit`: the audit log, newest first, for admins.

use actix_web::{HttpResponse, web};
use backbeat_services::audit::{self, Filter};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, LinePageQuery, PageEnvelope};
use crate::state::AppState;
use crate::views::access::{AuditEventView, AuditLog};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only what this account did (a user id, or `operator:cli`).
    actor: Option<String>,
    /// Only this action (`user.update`, `api_key.create`, ...).
    action: Option<String>,
}

#[utoipa::path(
    get, path = "/admin/audit", tag = "administration",
    params(AuditFilter, LinePageQuery),
    responses(
        (status = 200, description = "Admin actions and API key creations and revocations, newest first: \
            who, what, when, and the target's state before and after", body = PageEnvelope<AuditLog>),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<AuditFilter>,
    page: web::Query<LinePageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let found = audit::list(
        &state,
        &caller,
        Filter {
            actor: filter.actor.as_deref().filter(|a| !a.is_empty()),
            action: filter.action.as_deref().filter(|a| !a.is_empty()),
        },
        cursor,
        limit,
    )
    .await?;
    Ok(response::page(
        AuditLog {
            events: found.items.into_iter().map(AuditEventView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

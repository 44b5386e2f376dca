//! `GET /admin/acknowledgements`: the acknowledgement files collected from platforms, newest
//! first, with what came of each (applied, or refused and why), for admins.

use actix_web::{HttpResponse, web};
use backbeat_domain::ids::PlatformId;
use backbeat_services::distribution::acknowledgements::{self, APPLIED, REFUSED};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::response::{self, LinePageQuery, PageEnvelope};
use crate::state::AppState;
use crate::views::distribution::{AcknowledgementFileView, AcknowledgementFiles};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AcknowledgementFilter {
    /// `applied` or `refused`.
    #[param(pattern = "^(applied|refused)$")]
    outcome: Option<String>,
    /// Only this platform's files.
    platform_id: Option<String>,
}

#[utoipa::path(
    get, path = "/admin/acknowledgements", tag = "administration",
    params(AcknowledgementFilter, LinePageQuery),
    responses(
        (status = 200, description = "Acknowledgement files read from the platforms, newest first: \
            each with its content and outcome; a refused one (`MALFORMED`, `UNKNOWN_MESSAGE`, \
            `DUPLICATE`, `TOO_LARGE`) says why", body = PageEnvelope<AcknowledgementFiles>),
        (status = 400, description = "Invalid `outcome`, `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<AcknowledgementFilter>,
    page: web::Query<LinePageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    // An empty `outcome` is refused like any other value outside the two the schema allows.
    let outcome = match filter.outcome.as_deref() {
        None => None,
        Some(o) if o == APPLIED || o == REFUSED => Some(o),
        Some(_) => {
            return Err(ApiError::field("outcome", "must be `applied` or `refused`"));
        }
    };
    let platform = filter
        .platform_id
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| PlatformId::from(p.to_owned()));
    let found =
        acknowledgements::page(&state, &caller, outcome, platform.as_ref(), cursor, limit).await?;
    Ok(response::page(
        AcknowledgementFiles {
            files: found
                .items
                .into_iter()
                .map(AcknowledgementFileView::from)
                .collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

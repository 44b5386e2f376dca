//! `GET /admin/verifications`, `POST /admin/verifications/{id}/approve|reject`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::ids::VerificationId;
use backbeat_domain::verification::VerificationStatus;
use backbeat_services::verification::review;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::community::{VerificationData, VerificationList, VerificationView};

pub const NOTE_MAX: usize = 2000;

#[derive(Debug, Deserialize, IntoParams)]
pub struct VerificationFilter {
    /// Only these (the review queue is `pending_review`); every status when absent.
    #[param(schema_with = crate::schemas::verification_status)]
    status: Option<String>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct ReviewRequest {
    /// For the audit log, and the artist's owner (sent with an approval).
    #[schema(max_length = 2000, pattern = r"^[^\x00]*$")]
    note: Option<String>,
}

fn status(raw: &str) -> Result<VerificationStatus, FieldError> {
    VerificationStatus::parse(raw).ok_or_else(|| {
        FieldError::new("status", format!("must be {}", VerificationStatus::words()))
    })
}

#[utoipa::path(
    get, path = "/admin/verifications", tag = "administration",
    params(VerificationFilter, PageQuery),
    responses(
        (status = 200, description = "Verifications, oldest first", body = PageEnvelope<VerificationList>),
        (status = 400, description = "Invalid `status`, `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<VerificationFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let wanted = filter.status.as_deref().map(status).transpose()?;
    let found = review::list(&state, &caller, wanted, cursor.as_ref(), limit).await?;
    Ok(response::page(
        VerificationList {
            verifications: found
                .items
                .into_iter()
                .map(VerificationView::from)
                .collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    request_id: &RequestId,
    id: &VerificationId,
    body: JsonObject,
    approve: bool,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let note = f
        .optional_string("note")
        .and_then(|v| f.check(backbeat_domain::validation::at_most("note", v, NOTE_MAX)));
    f.done()?;
    let decided = review::decide(
        state,
        caller,
        id,
        approve,
        note.as_deref(),
        Some(&request_id.0),
    )
    .await?;
    Ok(response::data(
        StatusCode::OK,
        VerificationData {
            verification: decided.into(),
        },
    ))
}

#[utoipa::path(
    post, path = "/admin/verifications/{id}/approve", tag = "administration",
    params(("id" = String, Path, description = "Verification id")),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Approved: the artist is `verified` and its owner is emailed", body = DataEnvelope<VerificationData>),
        (status = 400, description = "Invalid `note`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown verification", body = ErrorBody),
        (status = 409, description = "Not awaiting review (`pending_review`)", body = ErrorBody),
    )
)]
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<VerificationId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    decide(&state, &caller, &request_id, &id, body, true).await
}

#[utoipa::path(
    post, path = "/admin/verifications/{id}/reject", tag = "administration",
    params(("id" = String, Path, description = "Verification id")),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Rejected", body = DataEnvelope<VerificationData>),
        (status = 400, description = "Invalid `note`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown verification", body = ErrorBody),
        (status = 409, description = "Not awaiting review (`pending_review`)", body = ErrorBody),
    )
)]
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<VerificationId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    decide(&state, &caller, &request_id, &id, body, false).await
}

//! `POST /royalties/runs/{id}/approval`, `POST /royalties/statements/{id}/approval`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::{RunId, StatementId};
use backbeat_services::royalties::approval;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::royalties::ApprovalData;

#[utoipa::path(
    post, path = "/royalties/runs/{id}/approval", tag = "royalties",
    params(("id" = String, Path, description = "Run id")),
    responses(
        (status = 200, description = "Every draft statement of the run is approved: its payee sees it and is emailed it \\
            (CSV and PDF attached); the audit log records who approved. Repeating it approves nothing more", body = DataEnvelope<ApprovalData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown run", body = ErrorBody),
        (status = 409, description = "The run is not its period's standing (succeeded) run", body = ErrorBody),
    )
)]
pub async fn approve_run(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<RunId>,
) -> ApiResult<HttpResponse> {
    let approved = approval::approve_run(&state, &caller, &id, &request_id.0).await?;
    Ok(response::data(
        StatusCode::OK,
        ApprovalData {
            approval: approved.into(),
        },
    ))
}

#[utoipa::path(
    post, path = "/royalties/statements/{id}/approval", tag = "royalties",
    params(("id" = String, Path, description = "Statement id")),
    responses(
        (status = 200, description = "The statement is approved: its payee sees it and is emailed it (CSV and PDF attached)", body = DataEnvelope<ApprovalData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown statement", body = ErrorBody),
        (status = 409, description = "A rerun superseded the statement's run", body = ErrorBody),
    )
)]
pub async fn approve_statement(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<StatementId>,
) -> ApiResult<HttpResponse> {
    let approved = approval::approve_statement(&state, &caller, &id, &request_id.0).await?;
    Ok(response::data(
        StatusCode::OK,
        ApprovalData {
            approval: approved.into(),
        },
    ))
}

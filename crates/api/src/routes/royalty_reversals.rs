//! `POST /royalties/periods/{period}/reversal`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::period::Period;
use backbeat_services::royalties::payouts;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::royalties::{PaymentView, ReversalData, ReversalView};

pub const REASON_MAX: usize = 2000;

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct ReversalRequest {
    /// Why the payments are reversed (returned by the bank, never sent...): for the audit log.
    #[schema(min_length = 1, max_length = 2000, pattern = r"^[^\x00]*\S[^\x00]*$")]
    reason: String,
}

#[utoipa::path(
    post, path = "/royalties/periods/{period}/reversal", tag = "royalties",
    params(("period" = crate::schemas::Month, Path, description = "The month")),
    request_body = ReversalRequest,
    responses(
        (status = 200, description = "Every standing payment of the period is reversed: the period is unlocked and can be rerun \\
            (`POST /royalties/runs?rerun=true`); what was paid is owed again and carried into the payee's next statement", body = DataEnvelope<ReversalData>),
        (status = 400, description = "Invalid `period`, or a missing or blank `reason`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 409, description = "No payment of the period stands", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    period: web::Path<String>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let period = Period::parse("period", &period)?;
    let mut f = Fields::new(body);
    let reason = f
        .string("reason")
        .and_then(|r| f.check(backbeat_domain::validation::text("reason", r, REASON_MAX)));
    let (reason,) = f.finish((reason,))?;
    let reversed = payouts::reverse(&state, &caller, period, &reason).await?;
    Ok(response::data(
        StatusCode::OK,
        ReversalData {
            reversal: ReversalView {
                period: period.to_string(),
                reversed: reversed.into_iter().map(PaymentView::from).collect(),
            },
        },
    ))
}

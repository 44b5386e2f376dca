//! `PUT /payees/{userId}/payout-threshold`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::UserId;
use backbeat_services::royalties::payouts;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct ThresholdRequest {
    /// A decimal string of at least 0 in the base currency, with at most its minor digits;
    /// `null` or absent: any payable balance is paid.
    #[schema(pattern = r"^[0-9]{1,12}(\.[0-9]{1,4})?$", example = "50.00")]
    amount: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdView {
    pub user_id: String,
    /// `null`: any payable balance is paid.
    #[schema(example = "50.00")]
    pub payout_threshold: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThresholdData {
    pub payee: ThresholdView,
}

#[utoipa::path(
    put, path = "/payees/{userId}/payout-threshold", tag = "royalties",
    params(("userId" = String, Path, description = "The payee's account")),
    request_body = ThresholdRequest,
    responses(
        (status = 200, description = "Set: payouts take the payee's balance once it reaches the threshold; below it, it is carried to the next period", body = DataEnvelope<ThresholdData>),
        (status = 400, description = "Missing, negative or invalid `amount`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown user", body = ErrorBody),
    )
)]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    user: web::Path<UserId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let amount = f.optional_string("amount");
    f.done()?;
    let threshold = payouts::set_threshold(&state, &caller, &user, amount).await?;
    Ok(response::data(
        StatusCode::OK,
        ThresholdData {
            payee: ThresholdView {
                user_id: user.into_inner().into_inner(),
                payout_threshold: threshold.map(|t| t.normalize().to_string()),
            },
        },
    ))
}

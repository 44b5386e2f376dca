//! `POST /royalties/payouts`, `GET /royalties/payouts/{id}` and its `.csv`,
//! `POST /royalties/payouts/{id}/paid`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::PayoutId;
use backbeat_services::royalties::payouts;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::royalties::PayoutData;

#[utoipa::path(
    post, path = "/royalties/payouts", tag = "royalties",
    responses(
        (status = 201, description = "An open payout of every approved payable balance at or above its payee's threshold \\
            (one payment per payee, of their latest statement, with a unique reference); export it with `GET /royalties/payouts/{id}.csv`. \\
            Its periods are locked from now on", body = DataEnvelope<PayoutData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 409, description = "Nothing is payable", body = ErrorBody),
    )
)]
pub async fn create(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let (batch, payments) = payouts::create(&state, &caller).await?;
    Ok(response::data(
        StatusCode::CREATED,
        PayoutData::new(batch, payments),
    ))
}

#[utoipa::path(
    get, path = "/royalties/payouts/{id}", tag = "royalties",
    params(("id" = String, Path, description = "Payout id")),
    responses(
        (status = 200, description = "The payout and its payments, by payee id", body = DataEnvelope<PayoutData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown payout", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<PayoutId>,
) -> ApiResult<HttpResponse> {
    let (batch, payments) = payouts::get(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        PayoutData::new(batch, payments),
    ))
}

#[utoipa::path(
    get, path = "/royalties/payouts/{id}.csv", tag = "royalties",
    params(("id" = String, Path, description = "Payout id")),
    responses(
        (status = 200, description = "The payment file: `payee,email,amount,currency,reference`, one row per payment not reversed, \\
            amounts to the currency's minor unit (the columns mass-payment uploads take)", content_type = "text/csv"),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown payout", body = ErrorBody),
    )
)]
pub async fn payment_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<PayoutId>,
) -> ApiResult<HttpResponse> {
    let (name, bytes) = payouts::payment_file(&state, &caller, &id).await?;
    Ok(response::file("text/csv; charset=utf-8", &name, bytes))
}

#[utoipa::path(
    post, path = "/royalties/payouts/{id}/paid", tag = "royalties",
    params(("id" = String, Path, description = "Payout id")),
    responses(
        (status = 200, description = "Closed: the money was sent; its statements are paid and their periods locked", body = DataEnvelope<PayoutData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown payout", body = ErrorBody),
        (status = 409, description = "Already paid", body = ErrorBody),
    )
)]
pub async fn mark_paid(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<PayoutId>,
) -> ApiResult<HttpResponse> {
    let (batch, payments) = payouts::mark_paid(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        PayoutData::new(batch, payments),
    ))
}

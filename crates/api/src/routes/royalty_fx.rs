//! `GET|PUT /royalties/fx/{period}`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::period::Period;
use backbeat_services::royalties::{base_currency, fx};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::JsonObject;
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::royalties::{FxData, FxRates};

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the body
pub struct FxRequest {
    /// Base-currency units per unit of each currency (ISO 4217), as decimal strings above 0.
    /// Replaces the period's rates.
    #[schema(
        schema_with = crate::schemas::rates,
        example = json!({"EUR": "1.08", "GBP": "1.27"})
    )]
    rates: BTreeMap<String, String>,
}

fn view(
    state: &AppState,
    period: Period,
    rates: Vec<(String, backbeat_domain::money::Decimal)>,
) -> ApiResult<FxData> {
    Ok(FxData {
        fx: FxRates {
            period: period.to_string(),
            base: base_currency(state)?.code().to_owned(),
            rates: rates
                .into_iter()
                .map(|(c, r)| (c, r.normalize().to_string()))
                .collect(),
        },
    })
}

#[utoipa::path(
    get, path = "/royalties/fx/{period}", tag = "royalties",
    params(("period" = crate::schemas::Month, Path, description = "The month")),
    responses(
        (status = 200, description = "The period's exchange rates", body = DataEnvelope<FxData>),
        (status = 400, description = "Invalid period", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    period: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let period = Period::parse("period", &period)?;
    let rates = fx::get(&state, &caller, period).await?;
    Ok(response::data(StatusCode::OK, view(&state, period, rates)?))
}

#[utoipa::path(
    put, path = "/royalties/fx/{period}", tag = "royalties",
    params(("period" = crate::schemas::Month, Path, description = "The month")),
    request_body = FxRequest,
    responses(
        (status = 200, description = "The period's rates as they now are; a run (or rerun) of the period uses them", body = DataEnvelope<FxData>),
        (status = 400, description = "Invalid period, an unknown currency, the base currency, or a rate that is not a decimal above 0 (`rates.EUR`)", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    period: web::Path<String>,
    mut body: JsonObject,
) -> ApiResult<HttpResponse> {
    let period = Period::parse("period", &period)?;
    let invalid = |m: &str| ApiError::Validation(vec![FieldError::new("rates", m)]);
    let rates = body
        .take("rates")
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let rates = match rates {
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(code, rate)| match rate {
                Value::String(rate) => Ok((code, rate)),
                _ => Err(ApiError::Validation(vec![FieldError::new(
                    format!("rates.{code}"),
                    "must be a decimal string (\"1.08\")",
                )])),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?,
        None | Some(Value::Null) => return Err(invalid("is required")),
        Some(_) => return Err(invalid("must be an object of currency codes to rates")),
    };
    let rates = fx::replace(&state, &caller, period, rates).await?;
    Ok(response::data(StatusCode::OK, view(&state, period, rates)?))
}

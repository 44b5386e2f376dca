//! `GET /analytics/overview`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_services::analytics;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::analytics::{AnalyticsQuery, OverviewData};

#[utoipa::path(
    get, path = "/analytics/overview", tag = "royalties",
    params(AnalyticsQuery),
    responses(
        (status = 200, description = "The caller's catalog (the songs they own): total, top ten songs by units, per platform and per territory. \\
            `groupBy` is ignored", body = DataEnvelope<OverviewData>),
        (status = 400, description = "Invalid `from` or `to`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn overview(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AnalyticsQuery>,
) -> ApiResult<HttpResponse> {
    let (range, _) = query.read()?;
    let found = analytics::overview(&state, &caller, range).await?;
    Ok(response::data(
        StatusCode::OK,
        OverviewData {
            overview: found.into(),
        },
    ))
}

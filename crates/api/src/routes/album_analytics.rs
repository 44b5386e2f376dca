//! `GET /albums/{id}/analytics`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::AlbumId;
use backbeat_services::analytics;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::analytics::{AnalyticsData, AnalyticsQuery};

#[utoipa::path(
    get, path = "/albums/{id}/analytics", tag = "royalties",
    params(("id" = String, Path, description = "Album id"), AnalyticsQuery),
    responses(
        (status = 200, description = "The sum over the album's tracks of their matched usage, units and revenue per currency as reported, in total and per group", body = DataEnvelope<AnalyticsData>),
        (status = 400, description = "Invalid `from`, `to` or `groupBy`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the album's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlbumId>,
    query: web::Query<AnalyticsQuery>,
) -> ApiResult<HttpResponse> {
    let (range, group_by) = query.read()?;
    let found = analytics::album(&state, &caller, &id, range, group_by).await?;
    Ok(response::data(
        StatusCode::OK,
        AnalyticsData {
            analytics: found.into(),
        },
    ))
}

//! `GET /usage-reports/{id}/unmatched`.

use actix_web::{HttpResponse, web};
use backbeat_domain::ids::ReportId;
use backbeat_services::usage::reports;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, LinePageQuery, PageEnvelope};
use crate::state::AppState;
use crate::views::royalties::{UnmatchedLine, UnmatchedList};

#[utoipa::path(
    get, path = "/usage-reports/{id}/unmatched", tag = "royalties",
    params(("id" = String, Path, description = "Report id"), LinePageQuery),
    responses(
        (status = 200, description = "The loaded lines that matched no song (by ISRC, nor by UPC and title), in file order: \\
            they count in the report's totals and analytics of nobody, and no royalty run pays them", body = PageEnvelope<UnmatchedList>),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "Unknown report", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ReportId>,
    page: web::Query<LinePageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let found = reports::unmatched(&state, &caller, &id, cursor, limit).await?;
    Ok(response::page(
        UnmatchedList {
            lines: found.items.into_iter().map(UnmatchedLine::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

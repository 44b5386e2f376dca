//! `GET /usage-reports/{id}/rejections`.

use actix_web::{HttpResponse, web};
use backbeat_domain::ids::ReportId;
use backbeat_services::usage::reports;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, LinePageQuery, PageEnvelope};
use crate::state::AppState;
use crate::views::royalties::{RejectionList, RejectionView};

#[utoipa::path(
    get, path = "/usage-reports/{id}/rejections", tag = "royalties",
    params(("id" = String, Path, description = "Report id"), LinePageQuery),
    responses(
        (status = 200, description = "The refused lines with their line number, the column or cell at fault and why, in file order \\
            (the first 1000 are kept; the report counts them all by reason)", body = PageEnvelope<RejectionList>),
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
    let found = reports::rejections(&state, &caller, &id, cursor, limit).await?;
    Ok(response::page(
        RejectionList {
            rejections: found.items.into_iter().map(RejectionView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

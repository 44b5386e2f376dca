//! `GET /jobs/{id}/items`: the per-item outcomes of a job that has many (bulk distribution).

use actix_web::{HttpResponse, web};
use backbeat_domain::ids::JobId;
use backbeat_services::distribution::bulk;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::distribution::{ItemList, ItemView};

#[utoipa::path(
    get, path = "/jobs/{id}/items", tag = "jobs",
    params(("id" = String, Path, description = "Job id"), PageQuery),
    responses(
        (status = 200, description = "The job's items in order, with their outcomes (`null` while pending)", body = PageEnvelope<ItemList>),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown job, or someone else's (admins see every job)", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<JobId>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let found = bulk::items(&state, &caller, &id, cursor.as_ref(), limit).await?;
    Ok(response::page(
        ItemList {
            items: found.items.into_iter().map(ItemView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

//! `GET /rooms/{id}/messages`: a room's history.

use actix_web::{HttpResponse, web};
use backbeat_domain::ids::RoomId;
use backbeat_services::chat::messages;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::community::{MessageList, MessageView};

#[utoipa::path(
    get, path = "/rooms/{id}/messages", tag = "community",
    params(("id" = String, Path, description = "Room id"), PageQuery),
    responses(
        (status = 200, description = "The room's messages, newest first, deleted ones left out; paging never skips or repeats a message while new ones arrive", body = PageEnvelope<MessageList>),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown room, or a private room the caller is not a member of", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<RoomId>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let found = messages::history(&state, &caller, &id, cursor.as_ref(), limit).await?;
    Ok(response::page(
        MessageList {
            messages: found.items.into_iter().map(MessageView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

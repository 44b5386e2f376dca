//! `DELETE /messages/{id}`: a soft delete, told to the room's members.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::MessageId;
use backbeat_services::chat::messages;

use crate::auth::Caller;
use crate::chat::frames::ServerFrame;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, MessageEnvelope};
use crate::state::AppState;

#[utoipa::path(
    delete, path = "/messages/{id}", tag = "community",
    params(("id" = String, Path, description = "Message id")),
    responses(
        (status = 200, description = "Deleted: gone from the history, and `message_deleted` sent to the room's members", body = MessageEnvelope),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Neither its author, a moderator of its room, nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown or already deleted message, or in a room the caller may not enter", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<MessageId>,
) -> ApiResult<HttpResponse> {
    let room = messages::delete(&state, &caller, &id).await?;
    let frame = ServerFrame::MessageDeleted {
        room_id: &room,
        message_id: &id,
    };
    state
        .chat_hub
        .broadcast(&room, &frame, Some(format!("deleted:{id}")))
        .await;
    Ok(response::message(StatusCode::OK, "Message deleted"))
}

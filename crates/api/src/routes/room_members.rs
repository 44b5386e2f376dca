//! `POST /rooms/{id}/members`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::{RoomId, UserId};
use backbeat_services::chat::rooms;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, MessageEnvelope};
use crate::state::AppState;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct MemberRequest {
    #[schema(example = "user-Qbax5Oy7L8WKf74l")]
    user_id: String,
}

#[utoipa::path(
    post, path = "/rooms/{id}/members", tag = "community",
    params(("id" = String, Path, description = "Room id")),
    request_body = MemberRequest,
    responses(
        (status = 201, description = "Member added", body = MessageEnvelope),
        (status = 200, description = "Already a member", body = MessageEnvelope),
        (status = 400, description = "Missing or invalid `userId`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not a moderator of the room", body = ErrorBody),
        (status = 404, description = "Unknown room, or a private room the caller is not a member of; or `userId` names no account", body = ErrorBody),
        (status = 409, description = "A public room (open to everyone) has no members to add", body = ErrorBody),
    )
)]
pub async fn add(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<RoomId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let user = f.string("userId");
    let (user,) = f.finish((user,))?;
    let added = rooms::add_member(&state, &caller, &id, &UserId::from(user)).await?;
    Ok(if added {
        response::message(StatusCode::CREATED, "Member added")
    } else {
        response::message(StatusCode::OK, "Already a member")
    })
}

//! `GET /ws/chat`: the chat's WebSocket (protocol in the README's chat section).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::access::API_KEY_HEADER;
use crate::chat::connection::{self, Credential};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Not in the OpenAPI document (a WebSocket is no HTTP operation): its `community` tag says
/// where the protocol is.
pub async fn connect(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let credential = credential(&req);
    let (response, session, stream) = actix_ws::handle(&req, body).map_err(|_| {
        ApiError::field(
            "Upgrade",
            "must be `websocket`: GET /ws/chat is a WebSocket endpoint (RFC 6455 handshake)",
        )
    })?;
    let stream = stream
        .max_frame_size(state.settings.chat.max_frame_bytes)
        .aggregate_continuations()
        .max_continuation_size(state.settings.chat.max_frame_bytes);
    let state = state.get_ref().clone();
    let hub = state.chat_hub.clone();
    actix_web::rt::spawn(connection::run(state, hub, session, stream, credential));
    Ok(response)
}

/// The handshake's credential, if it sent one; a malformed one is checked (and refused) like a
/// bad token, after the upgrade, so the client learns it from the close.
fn credential(req: &HttpRequest) -> Option<Credential> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or(value)
            .trim();
        return Some(Credential::Bearer(token.to_owned()));
    }
    req.headers()
        .get(API_KEY_HEADER)
        .map(|v| Credential::ApiKey(v.to_str().unwrap_or_default().trim().to_owned()))
}

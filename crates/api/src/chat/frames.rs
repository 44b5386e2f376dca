//! The WebSocket protocol's frames: JSON text frames with a `type` (see the README's chat
//! section for the whole protocol).

use backbeat_domain::ids::{MessageId, RoomId, UserId};
use backbeat_services::chat::messages::Posted;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a client sends.
#[derive(Debug, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum ClientFrame {
    /// The first frame of a client that could not send an `Authorization` header.
    Auth {
        token: String,
    },
    JoinRoom {
        room_id: RoomId,
    },
    LeaveRoom {
        room_id: RoomId,
    },
    SendMessage {
        room_id: RoomId,
        text: String,
        client_id: String,
    },
    React {
        message_id: MessageId,
        emoji: String,
    },
    Typing {
        room_id: RoomId,
    },
}

/// What the server sends.
#[derive(Debug, Serialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum ServerFrame<'a> {
    /// Authenticated: the connection acts as this account.
    Ready { user_id: &'a UserId },
    Message {
        room_id: &'a RoomId,
        message_id: &'a MessageId,
        user_id: &'a UserId,
        username: &'a str,
        text: &'a str,
        client_id: &'a str,
        created_at: DateTime<Utc>,
    },
    MessageDeleted {
        room_id: &'a RoomId,
        message_id: &'a MessageId,
    },
    Reaction {
        room_id: &'a RoomId,
        message_id: &'a MessageId,
        user_id: &'a UserId,
        emoji: &'a str,
    },
    UserJoined {
        room_id: &'a RoomId,
        user_id: &'a UserId,
        username: &'a str,
    },
    UserLeft {
        room_id: &'a RoomId,
        user_id: &'a UserId,
        username: &'a str,
    },
    Typing {
        room_id: &'a RoomId,
        user_id: &'a UserId,
        username: &'a str,
    },
    Error {
        code: &'a str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<&'a str>,
    },
}

impl<'a> ServerFrame<'a> {
    pub fn message(posted: &'a Posted) -> Self {
        ServerFrame::Message {
            room_id: &posted.room_id,
            message_id: &posted.id,
            user_id: &posted.user_id,
            username: &posted.username,
            text: &posted.text,
            client_id: &posted.client_id,
            created_at: posted.created_at,
        }
    }

    pub fn to_text(&self) -> bytestring::ByteString {
        // Serialising these plain structs cannot fail.
        serde_json::to_string(self).unwrap_or_default().into()
    }
}

/// The `code` of an `error` frame: the HTTP API's codes, and the protocol's own.
pub mod codes {
    pub const INVALID_FRAME: &str = "INVALID_FRAME";
    pub const NOT_JOINED: &str = "NOT_JOINED";
    pub const MESSAGE_TOO_LONG: &str = "MESSAGE_TOO_LONG";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const TOO_MANY_CONNECTIONS: &str = "TOO_MANY_CONNECTIONS";
    pub const INVALID_TOKEN: &str = "INVALID_TOKEN";
    pub const AUTH_REQUIRED: &str = "AUTH_REQUIRED";
    pub const INSUFFICIENT_SCOPE: &str = "INSUFFICIENT_SCOPE";
}

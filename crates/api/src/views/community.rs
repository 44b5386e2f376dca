//! Chat rooms, their messages, and artist verifications.

use backbeat_db::rooms::Room;
use backbeat_db::verifications::Verification;
use backbeat_services::chat::messages::Posted;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoomCreated {
    #[schema(example = "room-Qbax5Oy7L8WKf74l")]
    pub room_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoomView {
    pub id: String,
    pub name: String,
    /// `public` (every signed-in account) or `private` (members only).
    #[schema(example = "public")]
    pub kind: String,
    pub owner_id: String,
    /// The artist whose room this is, if any.
    pub artist_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Room> for RoomView {
    fn from(r: Room) -> Self {
        Self {
            id: r.id.into_inner(),
            name: r.name,
            kind: r.kind.as_str().to_owned(),
            owner_id: r.owner_id.into_inner(),
            artist_id: r.artist_id.map(|a| a.into_inner()),
            created_at: r.created_at,
        }
    }
}

/// A room with what its caller may do there.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoomDetail {
    #[serde(flatten)]
    pub room: RoomView,
    /// Members of a private room (its owner included); 0 for a public room, open to everyone.
    pub member_count: i64,
    /// Whether the caller may delete others' messages and add members.
    pub moderator: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomData {
    pub room: RoomDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoomList {
    pub rooms: Vec<RoomView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReactionCount {
    #[schema(example = "👍")]
    pub emoji: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub id: String,
    pub room_id: String,
    pub user_id: String,
    pub username: String,
    pub text: String,
    /// The sender's id for the message (a resend with it is the same message).
    pub client_id: String,
    pub created_at: DateTime<Utc>,
    pub reactions: Vec<ReactionCount>,
}

impl From<Posted> for MessageView {
    fn from(p: Posted) -> Self {
        Self {
            id: p.id.into_inner(),
            room_id: p.room_id.into_inner(),
            user_id: p.user_id.into_inner(),
            username: p.username,
            text: p.text,
            client_id: p.client_id,
            created_at: p.created_at,
            reactions: p
                .reactions
                .into_iter()
                .map(|(emoji, count)| ReactionCount { emoji, count })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub messages: Vec<MessageView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationCreated {
    #[schema(example = "verif-Qbax5Oy7L8WKf74l")]
    pub verification_id: String,
    /// Place this on the profile page, then ask for a check.
    #[schema(example = "7KQ4WX9M")]
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationView {
    pub id: String,
    pub artist_id: String,
    pub profile_url: String,
    pub code: String,
    /// `pending`, `checking`, `pending_review`, `failed`, `approved`, `rejected` or `expired`.
    #[schema(example = "pending_review")]
    pub status: String,
    /// Why the last check failed.
    pub reason: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    /// The reviewing admin's note.
    pub review_note: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<Verification> for VerificationView {
    fn from(v: Verification) -> Self {
        Self {
            id: v.id.into_inner(),
            artist_id: v.artist_id.into_inner(),
            profile_url: v.profile_url,
            code: v.code,
            status: v.status.as_str().to_owned(),
            reason: v.reason,
            checked_at: v.checked_at,
            review_note: v.review_note,
            reviewed_at: v.reviewed_at,
            expires_at: v.expires_at,
            created_at: v.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationData {
    pub verification: VerificationView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationList {
    pub verifications: Vec<VerificationView>,
}

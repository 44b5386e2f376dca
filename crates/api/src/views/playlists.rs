//! Playlists, their songs, activities and collaborations, and the export: the openMusic shapes.

use backbeat_db::playlists::{Activity, PlaylistSummary};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::views::catalog::SongItem;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaylistCreated {
    #[schema(example = "playlist-Qbax5Oy7L8WKf74l")]
    pub playlist_id: String,
}

/// A playlist in a list: exactly these three keys; `username` is the owner's.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaylistItem {
    pub id: String,
    pub name: String,
    pub username: String,
}

impl From<PlaylistSummary> for PlaylistItem {
    fn from(p: PlaylistSummary) -> Self {
        Self {
            id: p.id.into_inner(),
            name: p.name,
            username: p.username,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaylistList {
    pub playlists: Vec<PlaylistItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaylistWithSongs {
    pub id: String,
    pub name: String,
    /// The owner's username.
    pub username: String,
    pub songs: Vec<SongItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlaylistSongsData {
    pub playlist: PlaylistWithSongs,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityItem {
    /// Who added or removed the song.
    pub username: String,
    /// The song's title at the time.
    pub title: String,
    /// `add` or `delete`.
    #[schema(example = "add")]
    pub action: String,
    /// ISO-8601 (RFC 3339, UTC).
    pub time: DateTime<Utc>,
}

impl From<Activity> for ActivityItem {
    fn from(a: Activity) -> Self {
        Self {
            username: a.username,
            title: a.title,
            action: a.action,
            time: a.time,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityLog {
    pub playlist_id: String,
    pub activities: Vec<ActivityItem>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollaborationCreated {
    #[schema(example = "collab-Qbax5Oy7L8WKf74l")]
    pub collaboration_id: String,
}

pub use super::jobs::JobAccepted;

/// openMusic's export answer: a message and the job's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportAccepted {
    #[schema(example = "success")]
    pub status: &'static str,
    pub message: String,
    pub data: JobAccepted,
}

//! Videos and their tags.

use backbeat_db::tags::Tag;
use backbeat_services::videos::{ShownTag, Tagged};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VideoView {
    #[schema(example = "video-Qbax5Oy7L8WKf74l")]
    pub id: String,
    /// Wistia's id for the media (embed it with this).
    #[schema(example = "abc123defg")]
    pub hashed_id: String,
    pub name: String,
    /// As Wistia holds it (may contain HTML).
    pub description: String,
    pub duration_seconds: Option<f64>,
    /// Wistia's processing status: `queued`, `processing`, `ready` or `failed`; only ready
    /// videos are listed publicly.
    #[schema(example = "ready")]
    pub status: String,
    /// `visible` or `hidden`: hidden when an admin hid it, when it is archived on Wistia, or when
    /// Wistia no longer has it (`removedAt`).
    #[schema(example = "visible")]
    pub visibility: String,
    pub archived: bool,
    /// When a complete sync found it gone from Wistia (a tombstone); `null` while it exists.
    pub removed_at: Option<DateTime<Utc>>,
    pub thumbnail: Option<ThumbnailView>,
    pub project: Option<ProjectView>,
    /// Plays as Wistia counted them at `statsRefreshedAt`; `null` until first refreshed.
    pub plays: Option<i64>,
    pub visitors: Option<i64>,
    pub stats_refreshed_at: Option<DateTime<Utc>>,
    pub tags: Vec<VideoTagView>,
    /// When the media was created on Wistia (lists are newest first by it).
    pub created_at: DateTime<Utc>,
    /// Wistia's last change to the media.
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThumbnailView {
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView {
    pub name: String,
    pub hashed_id: Option<String>,
}

/// A tag on a video, once, with who put it there: `wistia` (replaced by each sync), `local`
/// (set by `PUT /videos/{id}/tags`, never touched by a sync), or both.
#[derive(Debug, Serialize, ToSchema)]
pub struct VideoTagView {
    #[schema(example = "tag-Qbax5Oy7L8WKf74l")]
    pub id: String,
    pub name: String,
    #[schema(example = json!(["wistia"]))]
    pub sources: Vec<String>,
}

impl From<ShownTag> for VideoTagView {
    fn from(t: ShownTag) -> Self {
        Self {
            id: t.id.into_inner(),
            name: t.name,
            sources: t.sources.iter().map(|s| s.as_str().to_owned()).collect(),
        }
    }
}

impl From<Tagged> for VideoView {
    fn from(Tagged { video: v, tags }: Tagged) -> Self {
        Self {
            id: v.id.into_inner(),
            hashed_id: v.hashed_id,
            name: v.name,
            description: v.description,
            duration_seconds: v.duration_seconds,
            status: v.status.as_str().to_owned(),
            visibility: if v.shown { "visible" } else { "hidden" }.to_owned(),
            archived: v.archived,
            removed_at: v.removed_at,
            thumbnail: v.thumbnail_url.map(|url| ThumbnailView {
                url,
                width: v.thumbnail_width,
                height: v.thumbnail_height,
            }),
            project: v.project_name.map(|name| ProjectView {
                name,
                hashed_id: v.project_hashed_id,
            }),
            plays: v.plays,
            visitors: v.visitors,
            stats_refreshed_at: v.stats_refreshed_at,
            tags: tags.into_iter().map(VideoTagView::from).collect(),
            created_at: v.wistia_created_at,
            updated_at: v.wistia_updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VideoList {
    pub videos: Vec<VideoView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VideoData {
    pub video: VideoView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagView {
    #[schema(example = "tag-Qbax5Oy7L8WKf74l")]
    pub id: String,
    pub name: String,
    /// Where the tag was first seen: `local` (created by an admin) or `wistia` (by a sync).
    #[schema(example = "local")]
    pub origin: String,
    pub created_at: DateTime<Utc>,
}

impl From<Tag> for TagView {
    fn from(t: Tag) -> Self {
        Self {
            id: t.id.into_inner(),
            name: t.name,
            origin: t.origin.as_str().to_owned(),
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub tags: Vec<TagView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagData {
    pub tag: TagView,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagCreated {
    #[schema(example = "tag-Qbax5Oy7L8WKf74l")]
    pub tag_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncAccepted {
    #[schema(example = "job-Qbax5Oy7L8WKf74l")]
    pub job_id: String,
    /// `true`: a sync was already queued or running, and this is its job (one runs at a time).
    pub already_running: bool,
}

//! The local catalog of Wistia's videos: what a sync writes and what the API lists.

use backbeat_domain::ids::{TagId, VideoId};
use backbeat_domain::paging::Cursor;
use backbeat_domain::video::{MediaStatus, TagSource, Visibility};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{tags, video_tags, videos};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = videos)]
pub struct Video {
    pub id: VideoId,
    pub hashed_id: String,
    pub name: String,
    pub description: String,
    pub duration_seconds: Option<f64>,
    pub status: MediaStatus,
    pub archived: bool,
    pub thumbnail_url: Option<String>,
    pub thumbnail_width: Option<i32>,
    pub thumbnail_height: Option<i32>,
    pub project_name: Option<String>,
    pub project_hashed_id: Option<String>,
    pub wistia_created_at: DateTime<Utc>,
    pub wistia_updated_at: DateTime<Utc>,
    pub plays: Option<i64>,
    pub visitors: Option<i64>,
    pub stats_refreshed_at: Option<DateTime<Utc>>,
    /// An admin's choice; see [`Video::shown`].
    pub visibility: Visibility,
    pub removed_at: Option<DateTime<Utc>>,
    /// Visible, not archived, not removed.
    pub shown: bool,
    pub updated_at: DateTime<Utc>,
}

/// A media as a sync writes it: Wistia's fields, and the pass that listed it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = videos)]
pub struct Listed {
    /// Used only when the media is new.
    pub id: VideoId,
    pub hashed_id: String,
    pub name: String,
    pub description: String,
    pub duration_seconds: Option<f64>,
    pub status: MediaStatus,
    pub archived: bool,
    pub thumbnail_url: Option<String>,
    pub thumbnail_width: Option<i32>,
    pub thumbnail_height: Option<i32>,
    pub project_name: Option<String>,
    pub project_hashed_id: Option<String>,
    pub wistia_created_at: DateTime<Utc>,
    pub wistia_updated_at: DateTime<Utc>,
    pub seen_pass: i64,
}

/// What the catalog already holds of a listed media.
#[derive(Debug, Clone, Queryable)]
pub struct Known {
    pub hashed_id: String,
    pub id: VideoId,
    pub wistia_updated_at: DateTime<Utc>,
    pub removed: bool,
}

pub async fn known(
    conn: &mut AsyncPgConnection,
    hashed_ids: &[&str],
) -> Result<Vec<Known>, DbError> {
    Ok(videos::table
        .filter(videos::hashed_id.eq_any(hashed_ids))
        .select((
            videos::hashed_id,
            videos::id,
            videos::wistia_updated_at,
            videos::removed_at.is_not_null(),
        ))
        .load(conn)
        .await?)
}

/// Writes new and changed medias (a removed one that is listed again comes back); the admin's
/// visibility, the stats and the local tags are kept. Returns each media's id.
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    listed: &[Listed],
) -> Result<Vec<(String, VideoId)>, DbError> {
    if listed.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(videos::table)
        .values(listed)
        .on_conflict(videos::hashed_id)
        .do_update()
        .set((
            videos::name.eq(excluded(videos::name)),
            videos::description.eq(excluded(videos::description)),
            videos::duration_seconds.eq(excluded(videos::duration_seconds)),
            videos::status.eq(excluded(videos::status)),
            videos::archived.eq(excluded(videos::archived)),
            videos::thumbnail_url.eq(excluded(videos::thumbnail_url)),
            videos::thumbnail_width.eq(excluded(videos::thumbnail_width)),
            videos::thumbnail_height.eq(excluded(videos::thumbnail_height)),
            videos::project_name.eq(excluded(videos::project_name)),
            videos::project_hashed_id.eq(excluded(videos::project_hashed_id)),
            videos::wistia_created_at.eq(excluded(videos::wistia_created_at)),
            videos::wistia_updated_at.eq(excluded(videos::wistia_updated_at)),
            videos::seen_pass.eq(excluded(videos::seen_pass)),
            videos::removed_at.eq(None::<DateTime<Utc>>),
        ))
        .returning((videos::hashed_id, videos::id))
        .get_results(conn)
        .await?)
}

/// Records that `pass` listed these medias (unchanged ones are not otherwise written).
pub async fn mark_seen(
    conn: &mut AsyncPgConnection,
    hashed_ids: &[&str],
    pass: i64,
) -> Result<usize, DbError> {
    Ok(diesel::update(videos::table)
        .filter(videos::hashed_id.eq_any(hashed_ids))
        .filter(videos::seen_pass.ne(pass))
        .set(videos::seen_pass.eq(pass))
        .execute(conn)
        .await?)
}

/// Ready videos whose plays were last refreshed before `before` (or never), those refreshed
/// longest ago first.
pub async fn stats_due(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(VideoId, String)>, DbError> {
    Ok(videos::table
        .filter(videos::status.eq(MediaStatus::Ready))
        .filter(videos::removed_at.is_null())
        .filter(
            videos::stats_refreshed_at
                .is_null()
                .or(videos::stats_refreshed_at.lt(before)),
        )
        .order((videos::stats_refreshed_at.asc().nulls_first(), videos::id))
        .limit(limit)
        .select((videos::id, videos::hashed_id))
        .load(conn)
        .await?)
}

/// Plays and visitors as Wistia counted them at `at`; `None`: Wistia has no stats for it (any
/// more), and only the time is recorded.
pub async fn set_stats(
    conn: &mut AsyncPgConnection,
    id: &VideoId,
    stats: Option<(i64, i64)>,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let target = diesel::update(videos::table.find(id));
    match stats {
        Some((plays, visitors)) => {
            target
                .set((
                    videos::plays.eq(plays),
                    videos::visitors.eq(visitors),
                    videos::stats_refreshed_at.eq(at),
                ))
                .execute(conn)
                .await?
        }
        None => {
            target
                .set(videos::stats_refreshed_at.eq(at))
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// Videos not removed that no pass since `pass` listed: removal candidates once `pass` is
/// complete.
pub async fn unseen_since(
    conn: &mut AsyncPgConnection,
    pass: i64,
    limit: i64,
) -> Result<Vec<(VideoId, String)>, DbError> {
    Ok(videos::table
        .filter(videos::removed_at.is_null())
        .filter(videos::seen_pass.lt(pass))
        .order(videos::id)
        .limit(limit)
        .select((videos::id, videos::hashed_id))
        .load(conn)
        .await?)
}

/// Marks a video as listed by `pass` after all (it moved between pages while they were read).
pub async fn confirm_seen(
    conn: &mut AsyncPgConnection,
    id: &VideoId,
    pass: i64,
) -> Result<(), DbError> {
    diesel::update(videos::table.find(id))
        .set(videos::seen_pass.eq(pass))
        .execute(conn)
        .await?;
    Ok(())
}

/// Makes the video a removal candidate of the pass again (Wistia lost it after listing it).
pub async fn mark_unseen(conn: &mut AsyncPgConnection, id: &VideoId) -> Result<(), DbError> {
    diesel::update(videos::table.find(id))
        .set(videos::seen_pass.eq(0))
        .execute(conn)
        .await?;
    Ok(())
}

/// Tombstones: hidden from everyone but admins, kept with their tags.
pub async fn mark_removed(
    conn: &mut AsyncPgConnection,
    id: &VideoId,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(diesel::update(videos::table.find(id))
        .filter(videos::removed_at.is_null())
        .set(videos::removed_at.eq(at))
        .execute(conn)
        .await?
        == 1)
}

pub async fn find(conn: &mut AsyncPgConnection, id: &VideoId) -> Result<Option<Video>, DbError> {
    Ok(videos::table
        .find(id)
        .select(Video::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Which videos a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only shown, ready videos (what the public sees).
    pub public: bool,
    pub visibility: Option<Visibility>,
    pub tag: Option<TagId>,
}

/// Newest first (by Wistia's creation time, then id), after the cursor.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &Filter,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Video>, DbError> {
    let mut query = videos::table.into_boxed();
    if filter.public {
        query = query
            .filter(videos::shown)
            .filter(videos::status.eq(MediaStatus::Ready));
    }
    match filter.visibility {
        Some(Visibility::Visible) => query = query.filter(videos::shown),
        Some(Visibility::Hidden) => query = query.filter(videos::shown.eq(false)),
        None => {}
    }
    if let Some(tag) = &filter.tag {
        let tagged = video_tags::table
            .filter(video_tags::tag_id.eq(tag.clone()))
            .select(video_tags::video_id);
        query = query.filter(videos::id.eq_any(tagged));
    }
    if let Some(after) = after {
        query = query.filter(
            videos::wistia_created_at
                .lt(after.at)
                .or(videos::wistia_created_at
                    .eq(after.at)
                    .and(videos::id.lt(after.id.clone()))),
        );
    }
    Ok(query
        .order((videos::wistia_created_at.desc(), videos::id.desc()))
        .limit(limit)
        .select(Video::as_select())
        .load(conn)
        .await?)
}

/// An admin's choice; `false` when the video does not exist.
pub async fn set_visibility(
    conn: &mut AsyncPgConnection,
    id: &VideoId,
    visibility: Visibility,
) -> Result<bool, DbError> {
    Ok(diesel::update(videos::table.find(id))
        .set(videos::visibility.eq(visibility))
        .execute(conn)
        .await?
        == 1)
}

/// A video's tag as shown with it: once, whoever put it there.
#[derive(Debug, Clone, Queryable)]
pub struct VideoTag {
    pub video_id: VideoId,
    pub tag_id: TagId,
    pub name: String,
    pub source: TagSource,
}

/// The tags of these videos, by name.
pub async fn tags_of(
    conn: &mut AsyncPgConnection,
    ids: &[VideoId],
) -> Result<Vec<VideoTag>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(video_tags::table
        .inner_join(tags::table)
        .filter(video_tags::video_id.eq_any(ids))
        .order((video_tags::video_id, tags::folded, video_tags::source))
        .select((
            video_tags::video_id,
            tags::id,
            tags::name,
            video_tags::source,
        ))
        .load(conn)
        .await?)
}

/// Replaces what `source` tagged the video with; the other source's tags stay.
pub async fn replace_tags(
    conn: &mut AsyncPgConnection,
    video: &VideoId,
    source: TagSource,
    tag_ids: &[TagId],
) -> Result<(), DbError> {
    diesel::delete(
        video_tags::table
            .filter(video_tags::video_id.eq(video))
            .filter(video_tags::source.eq(source))
            .filter(video_tags::tag_id.ne_all(tag_ids)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = tag_ids
        .iter()
        .map(|tag| {
            (
                video_tags::video_id.eq(video),
                video_tags::tag_id.eq(tag),
                video_tags::source.eq(source),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(video_tags::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The public playlist: shown, ready videos, newest first.
pub async fn playlist(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<Video>, DbError> {
    list(
        conn,
        &Filter {
            public: true,
            ..Filter::default()
        },
        None,
        limit,
    )
    .await
}

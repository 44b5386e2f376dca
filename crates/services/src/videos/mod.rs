//! Videos: a local catalog of the platform's videos hosted on Wistia, kept by [`sync`], listed,
//! hidden and tagged here. The public sees shown (visible, not archived, not removed) videos that
//! are ready to play; admins see every video. Every change a list can show moves the cached
//! [`playlist`] to a new generation once it commits.

pub mod playlist;
pub mod sync;
pub mod tags;

use std::collections::HashMap;

use backbeat_db::videos::{self, Filter, Video, VideoTag};
use backbeat_db::{AsyncPgConnection, DbError};
use backbeat_domain::Actor;
use backbeat_domain::ids::{TagId, VideoId};
use backbeat_domain::paging::{Cursor, Page};
use backbeat_domain::video::{MediaStatus, TAGS_PER_VIDEO_MAX, TagSource, Visibility};
use diesel_async::AsyncConnection;
use serde_json::json;

use crate::audit::{self, Target};
use crate::{Context, Error, Result};

/// A video with its tags.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub video: Video,
    pub tags: Vec<ShownTag>,
}

/// A tag as a video shows it: once, with who put it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownTag {
    pub id: TagId,
    pub name: String,
    pub sources: Vec<TagSource>,
}

pub fn not_found() -> Error {
    Error::not_found("video")
}

/// Admins manage videos (with a login session, or an API key with `videos:write`).
pub fn may_manage(actor: &Actor) -> Result<()> {
    if actor.role.is_admin() {
        Ok(())
    } else {
        Err(Error::Forbidden("only admins manage videos".to_owned()))
    }
}

fn sees_hidden(actor: Option<&Actor>) -> bool {
    actor.is_some_and(|a| a.role.is_admin())
}

/// What the public may see of a video.
fn public(video: &Video) -> bool {
    video.shown && video.status == MediaStatus::Ready
}

pub struct ListQuery {
    pub visibility: Option<Visibility>,
    pub tag: Option<TagId>,
}

/// Newest first. Hidden videos only for admins: anyone else asking for them is refused.
pub async fn list(
    ctx: &Context,
    actor: Option<&Actor>,
    query: ListQuery,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Tagged>> {
    let admin = sees_hidden(actor);
    if !admin && query.visibility == Some(Visibility::Hidden) {
        return Err(Error::Forbidden(
            "only admins list hidden videos".to_owned(),
        ));
    }
    let mut conn = ctx.conn().await?;
    if let Some(tag) = &query.tag
        && backbeat_db::tags::find(&mut conn, tag).await?.is_none()
    {
        return Err(Error::not_found("tag"));
    }
    let filter = Filter {
        public: !admin,
        visibility: query.visibility,
        tag: query.tag,
    };
    let rows = videos::list(&mut conn, &filter, after, limit + 1).await?;
    let page = Page::from_rows(rows, limit, |video| Cursor {
        at: video.wistia_created_at,
        id: video.id.to_string(),
    });
    let items = with_tags(&mut conn, page.items).await?;
    Ok(Page {
        items,
        next: page.next,
    })
}

/// One video; hidden ones read as unknown to all but admins.
pub async fn get(ctx: &Context, actor: Option<&Actor>, id: &VideoId) -> Result<Tagged> {
    let mut conn = ctx.conn().await?;
    let video = videos::find(&mut conn, id).await?.ok_or_else(not_found)?;
    if !sees_hidden(actor) && !public(&video) {
        return Err(not_found());
    }
    with_tags(&mut conn, vec![video])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// An admin shows or hides a video. An archived or removed video stays hidden: making it visible
/// is a conflict until Wistia has it back.
pub async fn set_visibility(
    ctx: &Context,
    actor: &Actor,
    id: &VideoId,
    visibility: Visibility,
) -> Result<Tagged> {
    may_manage(actor)?;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        let video = videos::find(conn, id).await?.ok_or_else(not_found)?;
        if visibility == Visibility::Visible && video.removed_at.is_some() {
            return Err(Error::Conflict(
                "the video is no longer on Wistia; it stays hidden".to_owned(),
            ));
        }
        if visibility == Visibility::Visible && video.archived {
            return Err(Error::Conflict(
                "the video is archived on Wistia; it stays hidden until it is restored there"
                    .to_owned(),
            ));
        }
        if video.visibility != visibility {
            videos::set_visibility(conn, id, visibility).await?;
            audit::record(
                conn,
                actor.user_id.as_str(),
                "video.visibility",
                Target {
                    kind: "video",
                    id: id.as_str(),
                },
                Some(json!({"visibility": video.visibility})),
                Some(json!({"visibility": visibility})),
            )
            .await?;
        }
        Ok(())
    })
    .await?;
    ctx.video_playlist.invalidate().await;
    get(ctx, Some(actor), id).await
}

/// Sets the video's local tags to exactly these (Wistia's stay as the last sync left them).
pub async fn set_tags(
    ctx: &Context,
    actor: &Actor,
    id: &VideoId,
    tag_ids: Vec<TagId>,
) -> Result<Tagged> {
    may_manage(actor)?;
    let mut tag_ids = tag_ids;
    tag_ids.sort();
    tag_ids.dedup();
    if tag_ids.len() > TAGS_PER_VIDEO_MAX {
        return Err(Error::field(
            "tagIds",
            format!("must hold at most {TAGS_PER_VIDEO_MAX} tags"),
        ));
    }
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        videos::find(conn, id).await?.ok_or_else(not_found)?;
        let known = backbeat_db::tags::count_existing(conn, &tag_ids).await?;
        if usize::try_from(known).ok() != Some(tag_ids.len()) {
            return Err(Error::not_found("tag"));
        }
        videos::replace_tags(conn, id, TagSource::Local, &tag_ids).await?;
        Ok(())
    })
    .await?;
    ctx.video_playlist.invalidate().await;
    get(ctx, Some(actor), id).await
}

/// The videos with their tags, in the same order.
pub(crate) async fn with_tags(
    conn: &mut AsyncPgConnection,
    list: Vec<Video>,
) -> Result<Vec<Tagged>, DbError> {
    let ids: Vec<VideoId> = list.iter().map(|v| v.id.clone()).collect();
    let mut by_video: HashMap<VideoId, Vec<ShownTag>> = HashMap::new();
    for VideoTag {
        video_id,
        tag_id,
        name,
        source,
    } in videos::tags_of(conn, &ids).await?
    {
        let tags = by_video.entry(video_id).or_default();
        match tags.last_mut() {
            Some(last) if last.id == tag_id => last.sources.push(source),
            _ => tags.push(ShownTag {
                id: tag_id,
                name,
                sources: vec![source],
            }),
        }
    }
    Ok(list
        .into_iter()
        .map(|video| Tagged {
            tags: by_video.remove(&video.id).unwrap_or_default(),
            video,
        })
        .collect())
}

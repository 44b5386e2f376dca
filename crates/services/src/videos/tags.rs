//! Tags: names unique regardless of case. Admins create, rename and delete them; a sync creates
//! the ones Wistia uses. Renaming or deleting a tag changes what lists show, so it moves the cached
//! playlist on.

use backbeat_db::tags::{self, Tag, UNIQUE_NAME};
use backbeat_domain::Actor;
use backbeat_domain::ids::TagId;
use backbeat_domain::video::{TagSource, fold_tag};
use chrono::Utc;
use diesel_async::AsyncConnection;
use serde_json::json;

use crate::audit::{self, Target};
use crate::videos::may_manage;
use crate::{Context, Error, Result};

pub fn not_found() -> Error {
    Error::not_found("tag")
}

fn taken(name: &str) -> Error {
    Error::Conflict(format!(
        "a tag named {name:?} exists already (names ignore case)"
    ))
}

pub async fn list(ctx: &Context) -> Result<Vec<Tag>> {
    Ok(tags::all(&mut *ctx.conn().await?).await?)
}

pub async fn create(ctx: &Context, actor: &Actor, name: String) -> Result<TagId> {
    may_manage(actor)?;
    let tag = Tag {
        id: TagId::generate(),
        folded: fold_tag(&name),
        name,
        origin: TagSource::Local,
        created_at: Utc::now(),
    };
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        match tags::insert(conn, &tag).await {
            Err(e) if e.is_unique_violation(UNIQUE_NAME) => return Err(taken(&tag.name)),
            inserted => inserted?,
        }
        audit::record(
            conn,
            actor.user_id.as_str(),
            "tag.create",
            Target {
                kind: "tag",
                id: tag.id.as_str(),
            },
            None,
            Some(json!({"name": tag.name})),
        )
        .await
    })
    .await?;
    Ok(tag.id)
}

pub async fn rename(ctx: &Context, actor: &Actor, id: &TagId, name: String) -> Result<Tag> {
    may_manage(actor)?;
    let mut conn = ctx.conn().await?;
    let renamed = conn
        .transaction::<_, Error, _>(async |conn| {
            let before = tags::find(conn, id).await?.ok_or_else(not_found)?;
            let after = match tags::rename(conn, id, &name).await {
                Ok(tag) => tag.ok_or_else(not_found)?,
                Err(e) if e.is_unique_violation(UNIQUE_NAME) => return Err(taken(&name)),
                Err(e) => return Err(e.into()),
            };
            audit::record(
                conn,
                actor.user_id.as_str(),
                "tag.rename",
                Target {
                    kind: "tag",
                    id: id.as_str(),
                },
                Some(json!({"name": before.name})),
                Some(json!({"name": after.name})),
            )
            .await?;
            Ok(after)
        })
        .await?;
    ctx.video_playlist.invalidate().await;
    Ok(renamed)
}

/// Deletes the tag from every video. A Wistia tag comes back with the next sync if Wistia still
/// uses it.
pub async fn delete(ctx: &Context, actor: &Actor, id: &TagId) -> Result<()> {
    may_manage(actor)?;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        let tag = tags::find(conn, id).await?.ok_or_else(not_found)?;
        let videos = tags::video_count(conn, id).await?;
        tags::delete(conn, id).await?;
        audit::record(
            conn,
            actor.user_id.as_str(),
            "tag.delete",
            Target {
                kind: "tag",
                id: id.as_str(),
            },
            Some(json!({"name": tag.name, "origin": tag.origin, "videos": videos})),
            None,
        )
        .await?;
        Ok(())
    })
    .await?;
    ctx.video_playlist.invalidate().await;
    Ok(())
}

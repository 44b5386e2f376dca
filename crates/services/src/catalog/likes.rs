//! Album likes, the count cached in Redis (see `backbeat_cache::likes`).

use backbeat_db::likes::{self, ALREADY_LIKED};
use backbeat_db::{DbError, albums};
use backbeat_domain::Actor;
use backbeat_domain::ids::AlbumId;

use crate::catalog::albums::not_found;
use crate::{Context, Error, Result};

use crate::Source;

pub async fn like(ctx: &Context, actor: &Actor, album_id: &AlbumId) -> Result<()> {
    // The foreign key tells an unknown album apart; no lookup first.
    match likes::like(&mut *ctx.conn().await?, album_id, &actor.user_id).await {
        Err(e) if e.is_unique_violation(ALREADY_LIKED) => {
            return Err(Error::field("albumId", "is already liked by you"));
        }
        Err(DbError::ForeignKeyViolation(_)) => return Err(not_found()),
        other => other?,
    }
    ctx.likes.invalidate(album_id).await;
    Ok(())
}

pub async fn unlike(ctx: &Context, actor: &Actor, album_id: &AlbumId) -> Result<()> {
    let mut conn = ctx.conn().await?;
    albums::find(&mut conn, album_id)
        .await?
        .ok_or_else(not_found)?;
    if !likes::unlike(&mut conn, album_id, &actor.user_id).await? {
        return Err(Error::NotFound("you have not liked this album".to_owned()));
    }
    drop(conn);
    ctx.likes.invalidate(album_id).await;
    Ok(())
}

/// The number of likes, from the cache when it holds the current generation's count.
pub async fn count(ctx: &Context, album_id: &AlbumId) -> Result<(i64, Source)> {
    let lookup = ctx.likes.lookup(album_id).await;
    if let Some(likes) = lookup.count {
        return Ok((likes, Source::Cache));
    }
    let mut conn = ctx.conn().await?;
    albums::find(&mut conn, album_id)
        .await?
        .ok_or_else(not_found)?;
    let likes = likes::count(&mut conn, album_id).await?;
    drop(conn);
    ctx.likes.store(album_id, &lookup, likes).await;
    Ok((likes, Source::Database))
}

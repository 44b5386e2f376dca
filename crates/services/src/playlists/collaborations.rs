//! Sharing a playlist: its owner adds and removes collaborators.

use backbeat_db::collaborations::{self, ALREADY_COLLABORATOR};
use backbeat_db::users;
use backbeat_domain::Actor;
use backbeat_domain::ids::{CollaborationId, PlaylistId, UserId};

use crate::playlists::access::{Need, authorize};
use crate::{Context, Error, Result};

pub async fn add(
    ctx: &Context,
    actor: &Actor,
    playlist_id: &PlaylistId,
    user_id: &UserId,
) -> Result<CollaborationId> {
    let mut conn = ctx.conn().await?;
    authorize(&mut conn, playlist_id, actor, Need::Owner).await?;
    if !users::exists(&mut conn, user_id).await? {
        return Err(Error::not_found("user"));
    }
    let id = CollaborationId::generate();
    match collaborations::insert(&mut conn, &id, playlist_id, user_id).await {
        Err(e) if e.is_unique_violation(ALREADY_COLLABORATOR) => Err(Error::field(
            "userId",
            "already collaborates on this playlist",
        )),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(id),
    }
}

pub async fn remove(
    ctx: &Context,
    actor: &Actor,
    playlist_id: &PlaylistId,
    user_id: &UserId,
) -> Result<()> {
    let mut conn = ctx.conn().await?;
    authorize(&mut conn, playlist_id, actor, Need::Owner).await?;
    if !collaborations::delete(&mut conn, playlist_id, user_id).await? {
        return Err(Error::not_found("collaboration"));
    }
    Ok(())
}

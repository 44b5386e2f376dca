//! Playlists (openMusic): who may see and change one ([`access`]), the playlists themselves, their
//! songs and activity log, collaborators, and the export by email.

pub mod access;
pub mod activities;
pub mod collaborations;
pub mod export;
pub mod songs;

use backbeat_db::playlists::{self, PlaylistSummary};
use backbeat_domain::Actor;
use backbeat_domain::ids::PlaylistId;

use crate::playlists::access::{Need, authorize};
use crate::{Context, Result};

/// A new playlist owned by the actor.
pub async fn create(ctx: &Context, actor: &Actor, name: &str) -> Result<PlaylistId> {
    let id = PlaylistId::generate();
    playlists::insert(&mut *ctx.conn().await?, &id, name, &actor.user_id).await?;
    Ok(id)
}

/// The playlists the actor owns or collaborates on, oldest first.
pub async fn visible(ctx: &Context, actor: &Actor) -> Result<Vec<PlaylistSummary>> {
    Ok(playlists::visible_to(&mut *ctx.conn().await?, &actor.user_id).await?)
}

/// Only the owner may delete a playlist (collaborators included in the refusal).
pub async fn delete(ctx: &Context, actor: &Actor, id: &PlaylistId) -> Result<()> {
    let mut conn = ctx.conn().await?;
    authorize(&mut conn, id, actor, Need::Owner).await?;
    playlists::delete(&mut conn, id).await?;
    Ok(())
}

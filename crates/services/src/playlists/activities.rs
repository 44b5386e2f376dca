//! A playlist's activity log: who added or removed which song, and when.

use backbeat_db::playlists::{self, Activity};
use backbeat_domain::Actor;
use backbeat_domain::ids::PlaylistId;

use crate::playlists::access::{Need, authorize};
use crate::{Context, Result};

/// The log, oldest first, for the owner and collaborators.
pub async fn list(ctx: &Context, actor: &Actor, playlist_id: &PlaylistId) -> Result<Vec<Activity>> {
    let mut conn = ctx.conn().await?;
    authorize(&mut conn, playlist_id, actor, Need::Member).await?;
    Ok(playlists::activities(&mut conn, playlist_id).await?)
}

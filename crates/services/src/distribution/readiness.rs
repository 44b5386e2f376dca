//! `GET /albums/{id}/readiness`: every problem that blocks the delivery of a release.

use backbeat_domain::Actor;
use backbeat_domain::ids::AlbumId;
use backbeat_domain::readiness::Problem;

use crate::catalog::albums::{not_found, writable};
use crate::distribution::release;
use crate::{Context, Result};

/// The release's problems, for those who may change it (others get 404/403 like any write).
pub async fn check(ctx: &Context, actor: &Actor, album_id: &AlbumId) -> Result<Vec<Problem>> {
    let mut conn = ctx.conn().await?;
    writable(ctx, &mut conn, Some(actor), album_id).await?;
    let snapshot = release::load(&mut conn, std::slice::from_ref(album_id))
        .await?
        .remove(album_id)
        .ok_or_else(not_found)?;
    Ok(snapshot.problems())
}

//! The public playlist (shown, ready videos, newest first), rendered once and served from Redis
//! until a sync, a visibility or a tag change moves it to a new generation.

use bytes::Bytes;

use crate::videos::{Tagged, with_tags};
use crate::{Context, Result, Source};

/// The playlist's body as `render` writes it, from Redis when it holds the current one.
pub async fn get(
    ctx: &Context,
    render: impl FnOnce(Vec<Tagged>) -> Result<Vec<u8>>,
) -> Result<(Bytes, Source)> {
    let lookup = ctx.video_playlist.lookup().await;
    if let Some(body) = lookup.value {
        return Ok((Bytes::from(body), Source::Cache));
    }
    let size = i64::from(ctx.settings.videos.playlist_size);
    let mut conn = ctx.conn().await?;
    let listed = backbeat_db::videos::playlist(&mut conn, size).await?;
    let body = render(with_tags(&mut conn, listed).await?)?;
    drop(conn);
    ctx.video_playlist.store(&lookup, &body).await;
    Ok((Bytes::from(body), Source::Database))
}

//! Albums: creating, reading with their songs, changing, and deleting with what hangs off them.

use backbeat_db::AsyncPgConnection;
use backbeat_db::albums::{self, Album};
use backbeat_db::songs::{self, SongSummary};
use backbeat_domain::Actor;
use backbeat_domain::ids::AlbumId;

use crate::catalog::access::Writable;
use crate::{Context, Error, Result};

pub struct AlbumInput {
    pub name: String,
    pub year: i32,
}

pub struct AlbumWithSongs {
    pub album: Album,
    pub songs: Vec<SongSummary>,
}

pub fn not_found() -> Error {
    Error::not_found("album")
}

pub async fn create(ctx: &Context, caller: Option<&Actor>, input: AlbumInput) -> Result<AlbumId> {
    let album = Album {
        id: AlbumId::generate(),
        name: input.name,
        year: input.year,
        owner_id: ctx.catalog_policy().creator(caller)?,
        cover_key: None,
    };
    albums::insert(&mut *ctx.conn().await?, &album).await?;
    Ok(album.id)
}

pub async fn get(ctx: &Context, id: &AlbumId) -> Result<AlbumWithSongs> {
    let mut conn = ctx.conn().await?;
    let album = albums::find(&mut conn, id).await?.ok_or_else(not_found)?;
    let songs = songs::of_album(&mut conn, &album.id).await?;
    Ok(AlbumWithSongs { album, songs })
}

/// The album, if the caller may change it: 404 when unknown, 401/403 when not theirs.
pub async fn writable(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    caller: Option<&Actor>,
    id: &AlbumId,
) -> Result<Writable<Album>> {
    let album = albums::find(conn, id).await?.ok_or_else(not_found)?;
    ctx.catalog_policy()
        .may_write(caller, album.owner_id.as_ref(), "album")?;
    Ok(Writable::checked(album))
}

pub async fn update(
    ctx: &Context,
    caller: Option<&Actor>,
    id: &AlbumId,
    input: AlbumInput,
) -> Result<()> {
    let mut conn = ctx.conn().await?;
    let album = writable(ctx, &mut conn, caller, id).await?;
    if !albums::update(&mut conn, &album.id, &input.name, input.year).await? {
        return Err(not_found());
    }
    Ok(())
}

/// Deletes the album (its songs stay, without an album), then what only it used: its cached
/// like count and its cover file.
pub async fn delete(ctx: &Context, caller: Option<&Actor>, id: &AlbumId) -> Result<()> {
    let mut conn = ctx.conn().await?;
    let album = writable(ctx, &mut conn, caller, id).await?;
    if !albums::delete(&mut conn, &album.id).await? {
        return Err(not_found());
    }
    drop(conn);
    ctx.likes.invalidate(&album.id).await;
    if let Some(cover) = &album.cover_key
        && let Err(error) = ctx.storage.delete(cover).await
    {
        tracing::warn!(%error, key = %cover, "cannot remove the deleted album's cover");
    }
    Ok(())
}

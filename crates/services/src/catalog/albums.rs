//! Albums: creating, reading with their songs, changing, and deleting with what hangs off them.

use backbeat_cache::Page;
use backbeat_db::albums::{self, Album, AlbumPatch, ReleaseFields, UPC_TAKEN};
use backbeat_db::songs::SongSummary;
use backbeat_db::{AsyncPgConnection, distributions, media};
use backbeat_domain::Actor;
use backbeat_domain::codes::Upc;
use backbeat_domain::ids::{AlbumId, ArtistId, UserId};
use backbeat_domain::release::{ReleaseType, RightsLine};
use backbeat_domain::territories::Territories;
use bytes::Bytes;
use chrono::NaiveDate;
use diesel_async::AsyncConnection;

use crate::catalog::access::Writable;
use crate::distribution::updates;
use crate::{Context, Error, Result, artists};

pub struct AlbumInput {
    pub name: String,
    pub year: i32,
}

pub struct AlbumWithSongs {
    pub album: Album,
    pub songs: Vec<SongSummary>,
    /// The release metadata, for callers who may change the album; `None` for everyone else,
    /// who see the openMusic shape.
    pub release: Option<ReleaseFields>,
}

/// A partial update: `None` leaves a field; `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct AlbumChanges {
    pub name: Option<String>,
    pub year: Option<i32>,
    pub artist_id: Option<Option<ArtistId>>,
    pub upc: Option<Option<Upc>>,
    pub label: Option<Option<String>>,
    pub genre: Option<Option<String>>,
    pub release_date: Option<Option<NaiveDate>>,
    pub original_release_date: Option<Option<NaiveDate>>,
    pub p_line: Option<Option<RightsLine>>,
    pub c_line: Option<Option<RightsLine>>,
    /// Clearing resets to worldwide.
    pub territories: Option<Option<Territories>>,
    pub release_type: Option<Option<ReleaseType>>,
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

pub async fn get(ctx: &Context, caller: Option<&Actor>, id: &AlbumId) -> Result<AlbumWithSongs> {
    let mut conn = ctx.conn().await?;
    let (album, release, songs) = albums::find_with_songs(&mut conn, id)
        .await?
        .ok_or_else(not_found)?;
    let writable = sees_release(ctx, caller, album.owner_id.as_ref());
    Ok(AlbumWithSongs {
        album,
        songs,
        release: writable.then_some(release),
    })
}

/// Whether the caller is shown the release metadata: the owner and admins are.
fn sees_release(ctx: &Context, caller: Option<&Actor>, owner_id: Option<&UserId>) -> bool {
    caller.is_some()
        && ctx
            .catalog_policy()
            .may_write(caller, owner_id, "album")
            .is_ok()
}

/// An album's body as everyone but its owner and admins see it, and its owner.
#[derive(Clone)]
pub struct AlbumPage {
    owner_id: Option<UserId>,
    body: Bytes,
}

impl Page for AlbumPage {
    fn weight(&self) -> usize {
        self.body.len() + self.owner_id.as_ref().map_or(0, |o| o.as_str().len())
    }
}

/// `GET /albums/{id}` as `render` writes it (the response body), from the page cache while
/// neither the album, its cover nor its songs were written since it was rendered: one Redis round
/// trip and a lookup in memory. `variant` names anything else the body depends on (the base URL
/// of its cover). Callers who see the release metadata are always served from the database.
pub async fn get_rendered(
    ctx: &Context,
    caller: Option<&Actor>,
    id: &AlbumId,
    variant: &str,
    render: impl FnOnce(AlbumWithSongs) -> Result<Bytes>,
) -> Result<Bytes> {
    let key = format!("{id}\u{0}{variant}");
    let generation = ctx.album_pages.generation_of(id.as_str()).await;
    if let Some(page) = ctx.album_pages.get(&generation, &key)
        && !sees_release(ctx, caller, page.owner_id.as_ref())
    {
        return Ok(page.body);
    }
    let found = get(ctx, caller, id).await?;
    if found.release.is_some() {
        return render(found);
    }
    let owner_id = found.album.owner_id.clone();
    let body = render(found)?;
    let page = AlbumPage {
        owner_id,
        body: body.clone(),
    };
    ctx.album_pages.put(&generation, &key, page);
    Ok(body)
}

/// Called once a write that changes how these albums read (their fields, cover or songs) has
/// committed.
pub async fn pages_changed(ctx: &Context, ids: impl IntoIterator<Item = Option<&AlbumId>>) {
    let ids: Vec<&str> = ids.into_iter().flatten().map(AlbumId::as_str).collect();
    ctx.album_pages.invalidate_of(&ids).await;
}

/// Changes the fields given; the artist must be one the caller may credit, the UPC unused by
/// any other release.
pub async fn patch(
    ctx: &Context,
    caller: Option<&Actor>,
    id: &AlbumId,
    changes: AlbumChanges,
) -> Result<()> {
    let mut conn = ctx.conn().await?;
    writable(ctx, &mut conn, caller, id).await?;
    if let Some(Some(artist)) = &changes.artist_id {
        artists::check_creditable(ctx, caller, artist).await?;
    }
    let line = |l: Option<Option<RightsLine>>| l.map(|l| l.map(|l| l.text));
    let patch = AlbumPatch {
        name: changes.name,
        year: changes.year,
        artist_id: changes.artist_id,
        upc: changes.upc.map(|u| u.map(|u| u.as_str().to_owned())),
        label: changes.label,
        genre: changes.genre,
        release_date: changes.release_date,
        original_release_date: changes.original_release_date,
        p_line: line(changes.p_line),
        c_line: line(changes.c_line),
        territories: changes.territories.map(|t| t.unwrap_or_default().to_list()),
        release_type: changes
            .release_type
            .map(|t| t.map(|t| t.as_str().to_owned())),
    };
    // The cached page shows the name and the year only.
    let shown = patch.name.is_some() || patch.year.is_some();
    // A delivered release is sent again: queued with the change, so both commit or neither.
    conn.transaction::<_, Error, _>(async |conn| {
        match albums::patch(conn, id, &patch).await {
            Err(e) if e.is_unique_violation(UPC_TAKEN) => {
                return Err(Error::taken("upc", "is already used by another release"));
            }
            other => other?,
        }
        updates::queue_each(ctx, conn, &[Some(id)]).await
    })
    .await?;
    if shown {
        pages_changed(ctx, [Some(id)]).await;
    }
    Ok(())
}

/// Whether the caller may change the album (404 when unknown, 401/403 when not theirs): asked
/// before a body is read, so that nobody learns a body's rules for something they cannot change.
pub async fn may_change(ctx: &Context, caller: Option<&Actor>, id: &AlbumId) -> Result<()> {
    writable(ctx, &mut *ctx.conn().await?, caller, id)
        .await
        .map(|_| ())
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
    conn.transaction::<_, Error, _>(async |conn| {
        if !albums::update(conn, &album.id, &input.name, input.year).await? {
            return Err(not_found());
        }
        updates::queue_each(ctx, conn, &[Some(&album.id)]).await
    })
    .await?;
    pages_changed(ctx, [Some(id)]).await;
    Ok(())
}

/// Deletes the album (its songs stay, without an album), then what only it used: its cached
/// like count, its cover and its artwork. A release that is live on a platform must be taken
/// down first (409): deleting it here would leave it on sale there.
pub async fn delete(ctx: &Context, caller: Option<&Actor>, id: &AlbumId) -> Result<()> {
    let mut conn = ctx.conn().await?;
    let album = writable(ctx, &mut conn, caller, id).await?;
    let artwork: Vec<String> = conn
        .transaction::<_, Error, _>(async |conn| {
            // Locked, so that no distribution starts while it goes.
            albums::lock(conn, &album.id).await?.ok_or_else(not_found)?;
            if distributions::has_live(conn, &album.id).await? {
                return Err(Error::Conflict(
                    "the release is distributed to a platform: take it down first".to_owned(),
                ));
            }
            let artwork = media::keys_of_album(conn, &album.id).await?;
            if !albums::delete(conn, &album.id).await? {
                return Err(not_found());
            }
            Ok(artwork)
        })
        .await?;
    drop(conn);
    pages_changed(ctx, [Some(id)]).await;
    ctx.likes.invalidate(&album.id).await;
    for key in album.cover_key.iter().chain(&artwork) {
        if let Err(error) = ctx.storage.delete(key).await {
            tracing::warn!(%error, %key, "cannot remove a deleted album's file");
        }
    }
    Ok(())
}

//! Songs: creating, reading, changing, deleting, and the catalog search.

use backbeat_cache::Packed;
use backbeat_db::AsyncPgConnection;
use backbeat_db::albums;
use backbeat_db::songs::{
    self, ISRC_TAKEN, Song, SongPatch, SongSearch, SongSummary, TRACK_NUMBER_TAKEN, TrackFields,
};
use backbeat_domain::codes::{Isrc, Iswc};
use backbeat_domain::ids::{AlbumId, ArtistId, SongId};
use backbeat_domain::paging::{self, Cursor, PageCursor};
use backbeat_domain::release::Contributor;
use backbeat_domain::{Actor, FieldError, catalog};
use bytes::Bytes;
use diesel_async::AsyncConnection;

use crate::catalog::access::Writable;
use crate::catalog::albums::pages_changed;
use crate::catalog::song_count::PLAN_PER_SEARCH_FROM;
use crate::distribution::updates;
use crate::{Context, Error, Result, artists};

/// Search results per page unless `limit` says otherwise; an openMusic client never pages, so
/// this is large enough to return every match in any catalog it would hold.
pub const SEARCH_LIMIT: i64 = 1000;

/// The fields of a song body (POST and PUT).
pub struct SongInput {
    pub title: String,
    pub year: i32,
    pub genre: String,
    pub performer: String,
    pub duration: Option<i32>,
    pub album_id: Option<AlbumId>,
}

pub fn not_found() -> Error {
    Error::not_found("song")
}

/// A song may join only an album the caller may write: 404 for an unknown album, 403 otherwise.
async fn check_album(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    caller: Option<&Actor>,
    album_id: Option<&AlbumId>,
) -> Result<()> {
    if let Some(album_id) = album_id {
        let album = albums::find(conn, album_id)
            .await?
            .ok_or_else(crate::catalog::albums::not_found)?;
        ctx.catalog_policy()
            .may_write(caller, album.owner_id.as_ref(), "album")?;
    }
    Ok(())
}

pub async fn create(ctx: &Context, caller: Option<&Actor>, input: SongInput) -> Result<SongId> {
    let owner_id = ctx.catalog_policy().creator(caller)?;
    let mut conn = ctx.conn().await?;
    check_album(ctx, &mut conn, caller, input.album_id.as_ref()).await?;
    let song = Song {
        id: SongId::generate(),
        title: input.title,
        year: input.year,
        genre: input.genre,
        performer: input.performer,
        duration: input.duration,
        album_id: input.album_id,
        owner_id,
    };
    songs::insert(&mut conn, &song).await?;
    ctx.song_pages.invalidate().await;
    pages_changed(ctx, [song.album_id.as_ref()]).await;
    Ok(song.id)
}

/// A song and, for callers who may change it, its track metadata.
pub struct SongView {
    pub song: Song,
    pub track: Option<TrackFields>,
}

pub async fn get(ctx: &Context, caller: Option<&Actor>, id: &SongId) -> Result<SongView> {
    let (song, track) = songs::find_track(&mut *ctx.conn().await?, id)
        .await?
        .ok_or_else(not_found)?;
    let writable = caller.is_some()
        && ctx
            .catalog_policy()
            .may_write(caller, song.owner_id.as_ref(), "song")
            .is_ok();
    Ok(SongView {
        song,
        track: writable.then_some(track),
    })
}

/// A partial update: `None` leaves a field; `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct SongChanges {
    pub title: Option<String>,
    pub year: Option<i32>,
    pub genre: Option<String>,
    pub performer: Option<String>,
    pub duration: Option<Option<i32>>,
    pub album_id: Option<Option<AlbumId>>,
    pub artist_id: Option<Option<ArtistId>>,
    pub isrc: Option<Option<Isrc>>,
    pub iswc: Option<Option<Iswc>>,
    pub explicit: Option<bool>,
    pub track_number: Option<Option<i32>>,
    pub disc_number: Option<Option<i32>>,
    pub contributors: Option<Vec<Contributor>>,
}

/// Changes the fields given: the album must be writable by the caller, the artist creditable,
/// Whether the caller may change the song (404 when unknown, 401/403 when not theirs): asked
/// before a body is read, so that nobody learns a body's rules for something they cannot change.
pub async fn may_change(ctx: &Context, caller: Option<&Actor>, id: &SongId) -> Result<()> {
    writable(ctx, &mut *ctx.conn().await?, caller, id)
        .await
        .map(|_| ())
}

/// the ISRC unused elsewhere, the track number free on its disc.
pub async fn patch(
    ctx: &Context,
    caller: Option<&Actor>,
    id: &SongId,
    changes: SongChanges,
) -> Result<()> {
    let mut conn = ctx.conn().await?;
    let song = writable(ctx, &mut conn, caller, id).await?;
    if let Some(album) = &changes.album_id
        && album.as_ref() != song.album_id.as_ref()
    {
        check_album(ctx, &mut conn, caller, album.as_ref()).await?;
    }
    if let Some(Some(artist)) = &changes.artist_id {
        artists::check_creditable(ctx, caller, artist).await?;
    }
    let patch = SongPatch {
        title: changes.title,
        year: changes.year,
        genre: changes.genre,
        performer: changes.performer,
        duration: changes.duration,
        album_id: changes.album_id,
        artist_id: changes.artist_id,
        isrc: changes.isrc.map(|i| i.map(|i| i.as_str().to_owned())),
        iswc: changes.iswc.map(|i| i.map(|i| i.as_str().to_owned())),
        explicit: changes.explicit,
        track_number: changes.track_number,
        disc_number: changes.disc_number,
        contributors: changes
            .contributors
            .map(|c| serde_json::to_value(c).unwrap_or_default()),
    };
    // Search and album pages show a song's title and performer only (and which album lists it).
    let listed = patch.title.is_some() || patch.performer.is_some();
    let moved = patch
        .album_id
        .as_ref()
        .is_some_and(|album| album.as_ref() != song.album_id.as_ref());
    let moved_to = patch.album_id.clone();
    // The releases it was and is on are sent again where delivered, queued with the change.
    conn.transaction::<_, Error, _>(async |conn| {
        match songs::patch(conn, id, &patch).await {
            Err(e) if e.is_unique_violation(ISRC_TAKEN) => {
                return Err(Error::taken("isrc", "is already used by another song"));
            }
            Err(e) if e.is_unique_violation(TRACK_NUMBER_TAKEN) => {
                return Err(Error::taken(
                    "trackNumber",
                    "is already used by another track on this disc of the album",
                ));
            }
            other => other?,
        }
        let now = moved_to
            .as_ref()
            .map_or(song.album_id.as_ref(), Option::as_ref);
        updates::queue_each(ctx, conn, &[song.album_id.as_ref(), now]).await
    })
    .await?;
    if listed {
        ctx.song_pages.invalidate().await;
    }
    if listed || moved {
        let now = patch
            .album_id
            .as_ref()
            .map_or(song.album_id.as_ref(), Option::as_ref);
        pages_changed(ctx, [song.album_id.as_ref(), now]).await;
    }
    Ok(())
}

pub async fn writable(
    ctx: &Context,
    conn: &mut AsyncPgConnection,
    caller: Option<&Actor>,
    id: &SongId,
) -> Result<Writable<Song>> {
    let song = songs::find(conn, id).await?.ok_or_else(not_found)?;
    ctx.catalog_policy()
        .may_write(caller, song.owner_id.as_ref(), "song")?;
    Ok(Writable::checked(song))
}

/// Replaces every field but the id and the owner.
pub async fn update(
    ctx: &Context,
    caller: Option<&Actor>,
    id: &SongId,
    input: SongInput,
) -> Result<()> {
    let mut conn = ctx.conn().await?;
    let song = writable(ctx, &mut conn, caller, id).await?.into_inner();
    if input.album_id != song.album_id {
        check_album(ctx, &mut conn, caller, input.album_id.as_ref()).await?;
    }
    let updated = Song {
        id: song.id,
        title: input.title,
        year: input.year,
        genre: input.genre,
        performer: input.performer,
        duration: input.duration,
        album_id: input.album_id,
        owner_id: song.owner_id,
    };
    conn.transaction::<_, Error, _>(async |conn| {
        if !songs::update(conn, &updated).await? {
            return Err(not_found());
        }
        updates::queue_each(
            ctx,
            conn,
            &[song.album_id.as_ref(), updated.album_id.as_ref()],
        )
        .await
    })
    .await?;
    ctx.song_pages.invalidate().await;
    pages_changed(ctx, [song.album_id.as_ref(), updated.album_id.as_ref()]).await;
    Ok(())
}

/// Deletes the song; playlists lose it, their activity logs keep its title.
pub async fn delete(ctx: &Context, caller: Option<&Actor>, id: &SongId) -> Result<()> {
    let mut conn = ctx.conn().await?;
    let song = writable(ctx, &mut conn, caller, id).await?;
    if !songs::delete(&mut conn, &song.id).await? {
        return Err(not_found());
    }
    ctx.song_pages.invalidate().await;
    pages_changed(ctx, [song.album_id.as_ref()]).await;
    Ok(())
}

/// `GET /songs` as `render` writes it (the response body), from the page cache while no song has
/// been written since it was rendered: a search, frequent term or small catalog alike, is then
/// one Redis round trip and a lookup in memory.
pub async fn search_rendered(
    ctx: &Context,
    request: SearchRequest,
    render: impl FnOnce(SearchPage) -> Result<Bytes>,
) -> Result<Bytes> {
    // Debug quotes each part: no two requests share a key.
    let key = format!(
        "{:?}",
        (
            &request.title,
            &request.performer,
            &request.limit,
            &request.cursor
        )
    );
    let generation = ctx.song_pages.generation().await;
    if let Some(page) = ctx
        .song_pages
        .get(&generation, &key)
        .and_then(|packed| packed.unpack())
    {
        return Ok(page);
    }
    let page = render(search(ctx, request).await?)?;
    ctx.song_pages.put(&generation, &key, Packed::pack(&page));
    Ok(page)
}

/// `GET /songs` as the client sent it.
#[derive(Debug, Default)]
pub struct SearchRequest {
    pub title: Option<String>,
    pub performer: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

pub struct SearchPage {
    pub songs: Vec<SongSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
    pub limit: i64,
    /// Whether the client asked for pages (`limit` or `cursor`).
    pub paged: bool,
}

/// Songs whose title and performer contain the terms (case-insensitively), oldest first, a page
/// at a time. Every invalid parameter is reported at once.
pub async fn search(ctx: &Context, request: SearchRequest) -> Result<SearchPage> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut term = |field: &str, value: Option<String>| {
        value.and_then(|v| {
            catalog::search_term(field, v)
                .map_err(|e| errors.push(e))
                .ok()
        })
    };
    let title = term("title", request.title);
    let performer = term("performer", request.performer);
    let cursor = request.cursor.as_deref().filter(|raw| !raw.is_empty());
    let paged = request.limit.is_some() || cursor.is_some();
    let limit = paging::limit(
        "limit",
        request.limit.as_deref(),
        SEARCH_LIMIT,
        SEARCH_LIMIT,
    )
    .unwrap_or_else(|e| {
        errors.push(e);
        SEARCH_LIMIT
    });
    let after = paging::cursor::<Cursor>("cursor", cursor)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let mut conn = ctx.conn().await?;
    let search = SongSearch {
        title: title.as_deref().filter(|t| !t.is_empty()),
        performer: performer.as_deref().filter(|p| !p.is_empty()),
        after,
        limit,
        plan_for_terms: ctx.song_count.estimate(&mut conn).await? >= PLAN_PER_SEARCH_FROM,
    };
    let (songs, next) = songs::search(&mut conn, &search).await?;
    Ok(SearchPage {
        songs,
        next_cursor: next.as_ref().map(Cursor::encode),
        limit,
        paged,
    })
}

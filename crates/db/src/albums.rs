//! Albums.

use backbeat_domain::ids::{AlbumId, ArtistId, UserId};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{albums, songs};
use crate::songs::SongSummary;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = albums)]
pub struct Album {
    pub id: AlbumId,
    pub name: String,
    pub year: i32,
    pub owner_id: Option<UserId>,
    /// Where the cover is in storage; `None` until one is uploaded.
    pub cover_key: Option<String>,
}

/// The release metadata of an album, as stored (codes normalised, lines as typed).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = albums)]
pub struct ReleaseFields {
    pub artist_id: Option<ArtistId>,
    pub upc: Option<String>,
    pub label: Option<String>,
    pub genre: Option<String>,
    pub release_date: Option<NaiveDate>,
    pub original_release_date: Option<NaiveDate>,
    pub p_line: Option<String>,
    pub c_line: Option<String>,
    pub territories: Vec<String>,
    pub release_type: Option<String>,
}

/// A partial update of an album: `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = albums)]
pub struct AlbumPatch {
    pub name: Option<String>,
    pub year: Option<i32>,
    pub artist_id: Option<Option<ArtistId>>,
    pub upc: Option<Option<String>>,
    pub label: Option<Option<String>>,
    pub genre: Option<Option<String>>,
    pub release_date: Option<Option<NaiveDate>>,
    pub original_release_date: Option<Option<NaiveDate>>,
    pub p_line: Option<Option<String>>,
    pub c_line: Option<Option<String>>,
    pub territories: Option<Vec<String>>,
    pub release_type: Option<Option<String>>,
}

/// Two releases cannot share a UPC.
pub const UPC_TAKEN: &str = "albums_upc_key";

pub async fn insert(conn: &mut AsyncPgConnection, album: &Album) -> Result<(), DbError> {
    diesel::insert_into(albums::table)
        .values((
            albums::id.eq(&album.id),
            albums::name.eq(&album.name),
            albums::year.eq(album.year),
            albums::owner_id.eq(&album.owner_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &AlbumId) -> Result<Option<Album>, DbError> {
    Ok(albums::table
        .find(id)
        .select(Album::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The album, its release fields and its songs (oldest first) in one round trip: the songs are
/// left-joined, so the album's columns repeat on each song's row.
pub async fn find_with_songs(
    conn: &mut AsyncPgConnection,
    id: &AlbumId,
) -> Result<Option<(Album, ReleaseFields, Vec<SongSummary>)>, DbError> {
    let rows: Vec<(Album, ReleaseFields, Option<SongSummary>)> = albums::table
        .left_join(songs::table)
        .filter(albums::id.eq(id))
        .order((songs::created_at, songs::id))
        .select((
            Album::as_select(),
            ReleaseFields::as_select(),
            Option::<SongSummary>::as_select(),
        ))
        .load(conn)
        .await?;
    let mut rows = rows.into_iter();
    let Some((album, release, first)) = rows.next() else {
        return Ok(None);
    };
    let songs = first
        .into_iter()
        .chain(rows.filter_map(|(_, _, song)| song))
        .collect();
    Ok(Some((album, release, songs)))
}

/// Applies a partial update (nothing to do when it is empty). A UPC already used is a
/// [`DbError::UniqueViolation`] on [`UPC_TAKEN`].
pub async fn patch(
    conn: &mut AsyncPgConnection,
    id: &AlbumId,
    patch: &AlbumPatch,
) -> Result<(), DbError> {
    let empty = patch.name.is_none()
        && patch.year.is_none()
        && patch.artist_id.is_none()
        && patch.upc.is_none()
        && patch.label.is_none()
        && patch.genre.is_none()
        && patch.release_date.is_none()
        && patch.original_release_date.is_none()
        && patch.p_line.is_none()
        && patch.c_line.is_none()
        && patch.territories.is_none()
        && patch.release_type.is_none();
    if !empty {
        diesel::update(albums::table.find(id))
            .set(patch)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Locks the album row against deletion while a distribution is created for it.
pub async fn lock_shared(
    conn: &mut AsyncPgConnection,
    id: &AlbumId,
) -> Result<Option<Album>, DbError> {
    Ok(albums::table
        .find(id)
        .select(Album::as_select())
        .for_share()
        .first(conn)
        .await
        .optional()?)
}

/// Locks the album row for a change that must not race with new distributions.
pub async fn lock(conn: &mut AsyncPgConnection, id: &AlbumId) -> Result<Option<Album>, DbError> {
    Ok(albums::table
        .find(id)
        .select(Album::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

/// The albums among `ids` that exist, with their owners.
pub async fn owners(
    conn: &mut AsyncPgConnection,
    ids: &[AlbumId],
) -> Result<Vec<(AlbumId, Option<UserId>)>, DbError> {
    Ok(albums::table
        .filter(albums::id.eq_any(ids))
        .select((albums::id, albums::owner_id))
        .load(conn)
        .await?)
}

/// `false` when the album does not exist.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: &AlbumId,
    name: &str,
    year: i32,
) -> Result<bool, DbError> {
    let updated = diesel::update(albums::table.find(id))
        .set((albums::name.eq(name), albums::year.eq(year)))
        .execute(conn)
        .await?;
    Ok(updated > 0)
}

/// Deletes the album; its songs stay, without an album. `false` when it did not exist.
pub async fn delete(conn: &mut AsyncPgConnection, id: &AlbumId) -> Result<bool, DbError> {
    Ok(diesel::delete(albums::table.find(id)).execute(conn).await? > 0)
}

/// Points the album at a new cover and returns the previous one's key (to delete once this
/// commits); `None` when the album does not exist.
pub async fn set_cover(
    conn: &mut AsyncPgConnection,
    id: &AlbumId,
    cover_key: &str,
) -> Result<Option<Option<String>>, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let previous: Option<Option<String>> = albums::table
            .find(id)
            .select(albums::cover_key)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if previous.is_some() {
            diesel::update(albums::table.find(id))
                .set(albums::cover_key.eq(cover_key))
                .execute(conn)
                .await?;
        }
        Ok(previous)
    })
    .await
}

/// Title and UPC of each album among `ids` (for reports).
pub async fn titles(
    conn: &mut AsyncPgConnection,
    ids: &[AlbumId],
) -> Result<Vec<(AlbumId, String, Option<String>)>, DbError> {
    Ok(albums::table
        .filter(albums::id.eq_any(ids))
        .select((albums::id, albums::name, albums::upc))
        .load(conn)
        .await?)
}

/// The albums that credit the artist (whose messages name it).
pub async fn credited_to(
    conn: &mut AsyncPgConnection,
    artist: &ArtistId,
) -> Result<Vec<AlbumId>, DbError> {
    Ok(albums::table
        .filter(albums::artist_id.eq(artist))
        .select(albums::id)
        .load(conn)
        .await?)
}

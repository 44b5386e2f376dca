//! Albums.

use backbeat_domain::ids::{AlbumId, UserId};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::albums;

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

//! Album likes.

use backbeat_domain::ids::{AlbumId, UserId};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::album_likes;

/// The constraint that lets a user like an album once.
pub const ALREADY_LIKED: &str = "album_likes_pkey";

pub async fn like(
    conn: &mut AsyncPgConnection,
    album_id: &AlbumId,
    user_id: &UserId,
) -> Result<(), DbError> {
    diesel::insert_into(album_likes::table)
        .values((
            album_likes::album_id.eq(album_id),
            album_likes::user_id.eq(user_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// `false` when the user had not liked the album.
pub async fn unlike(
    conn: &mut AsyncPgConnection,
    album_id: &AlbumId,
    user_id: &UserId,
) -> Result<bool, DbError> {
    Ok(diesel::delete(
        album_likes::table
            .filter(album_likes::album_id.eq(album_id))
            .filter(album_likes::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?
        > 0)
}

pub async fn count(conn: &mut AsyncPgConnection, album_id: &AlbumId) -> Result<i64, DbError> {
    Ok(album_likes::table
        .filter(album_likes::album_id.eq(album_id))
        .count()
        .get_result(conn)
        .await?)
}

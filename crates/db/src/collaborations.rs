//! Who may edit a playlist besides its owner.

use backbeat_domain::ids::{CollaborationId, PlaylistId, UserId};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::collaborations;

/// The constraint that keeps a user a collaborator once per playlist.
pub const ALREADY_COLLABORATOR: &str = "collaborations_playlist_user_key";

pub async fn insert(
    conn: &mut AsyncPgConnection,
    id: &CollaborationId,
    playlist_id: &PlaylistId,
    user_id: &UserId,
) -> Result<(), DbError> {
    diesel::insert_into(collaborations::table)
        .values((
            collaborations::id.eq(id),
            collaborations::playlist_id.eq(playlist_id),
            collaborations::user_id.eq(user_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// `false` when the user was not a collaborator.
pub async fn delete(
    conn: &mut AsyncPgConnection,
    playlist_id: &PlaylistId,
    user_id: &UserId,
) -> Result<bool, DbError> {
    Ok(diesel::delete(
        collaborations::table
            .filter(collaborations::playlist_id.eq(playlist_id))
            .filter(collaborations::user_id.eq(user_id)),
    )
    .execute(conn)
    .await?
        > 0)
}

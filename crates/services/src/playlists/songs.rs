//! A playlist's songs: adding and removing them (each recorded in the activity log), listing them.

use backbeat_db::playlists::{self, PlaylistSummary, SONG_ALREADY_IN_PLAYLIST};
use backbeat_db::songs::{self, SongSummary};
use backbeat_db::{AsyncPgConnection, DbError};
use backbeat_domain::Actor;
use backbeat_domain::ids::{ActivityId, PlaylistId, SongId};

use crate::playlists::access::{Need, authorize};
use crate::{Context, Error, Result};

fn song_not_found() -> Error {
    Error::not_found("song")
}

/// Checks the actor may edit the playlist (404/403), then finds the song (404).
async fn member_and_song(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    playlist_id: &PlaylistId,
    song_id: &SongId,
) -> Result<SongSummary> {
    authorize(conn, playlist_id, actor, Need::Member).await?;
    let song = songs::find(conn, song_id)
        .await?
        .ok_or_else(song_not_found)?;
    Ok(SongSummary {
        id: song.id,
        title: song.title,
        performer: song.performer,
    })
}

pub async fn add(
    ctx: &Context,
    actor: &Actor,
    playlist_id: &PlaylistId,
    song_id: &SongId,
) -> Result<()> {
    let mut conn = ctx.conn().await?;
    let song = member_and_song(&mut conn, actor, playlist_id, song_id).await?;
    match playlists::add_song(
        &mut conn,
        playlist_id,
        &song,
        &actor.user_id,
        &ActivityId::generate(),
    )
    .await
    {
        Err(e) if e.is_unique_violation(SONG_ALREADY_IN_PLAYLIST) => {
            Err(Error::field("songId", "is already in the playlist"))
        }
        // The song was deleted between the check and the insert.
        Err(DbError::ForeignKeyViolation(_)) => Err(song_not_found()),
        other => Ok(other?),
    }
}

pub async fn remove(
    ctx: &Context,
    actor: &Actor,
    playlist_id: &PlaylistId,
    song_id: &SongId,
) -> Result<()> {
    let mut conn = ctx.conn().await?;
    let song = member_and_song(&mut conn, actor, playlist_id, song_id).await?;
    let removed = playlists::remove_song(
        &mut conn,
        playlist_id,
        &song,
        &actor.user_id,
        &ActivityId::generate(),
    )
    .await?;
    if !removed {
        return Err(Error::NotFound(
            "the song is not in this playlist".to_owned(),
        ));
    }
    Ok(())
}

/// The playlist and its songs, in the order they were added.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    playlist_id: &PlaylistId,
) -> Result<(PlaylistSummary, Vec<SongSummary>)> {
    let mut conn = ctx.conn().await?;
    let membership = authorize(&mut conn, playlist_id, actor, Need::Member).await?;
    let songs = playlists::songs(&mut conn, playlist_id).await?;
    Ok((membership.playlist, songs))
}

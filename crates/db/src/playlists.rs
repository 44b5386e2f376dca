//! Playlists, their songs and their activity log. A change to a playlist's songs and the
//! activity describing it are written in one transaction.

use backbeat_domain::ids::{ActivityId, PlaylistId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{collaborations, playlist_activities, playlist_songs, playlists, songs, users};
use crate::songs::SongSummary;

/// The constraint that keeps a song once per playlist.
pub const SONG_ALREADY_IN_PLAYLIST: &str = "playlist_songs_pkey";

#[derive(Debug, Clone, Queryable)]
pub struct PlaylistSummary {
    pub id: PlaylistId,
    pub name: String,
    /// The owner's username.
    pub username: String,
}

/// A playlist as seen by one user: whether they own it or collaborate on it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub playlist: PlaylistSummary,
    pub owner_id: UserId,
    pub is_owner: bool,
    pub is_collaborator: bool,
}

#[derive(Debug, Clone, Queryable)]
pub struct Activity {
    pub username: String,
    pub title: String,
    pub action: String,
    pub time: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Add,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Delete => "delete",
        }
    }
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    id: &PlaylistId,
    name: &str,
    owner_id: &UserId,
) -> Result<(), DbError> {
    diesel::insert_into(playlists::table)
        .values((
            playlists::id.eq(id),
            playlists::name.eq(name),
            playlists::owner_id.eq(owner_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The playlists `user_id` owns or collaborates on, oldest first.
pub async fn visible_to(
    conn: &mut AsyncPgConnection,
    user_id: &UserId,
) -> Result<Vec<PlaylistSummary>, DbError> {
    let collaborating = collaborations::table
        .filter(collaborations::user_id.eq(user_id))
        .select(collaborations::playlist_id);
    Ok(playlists::table
        .inner_join(users::table)
        .filter(
            playlists::owner_id
                .eq(user_id)
                .or(playlists::id.eq_any(collaborating)),
        )
        .order((playlists::created_at, playlists::id))
        .select((playlists::id, playlists::name, users::username))
        .load(conn)
        .await?)
}

/// The playlist and `user_id`'s relation to it; `None` when the playlist does not exist.
pub async fn membership(
    conn: &mut AsyncPgConnection,
    playlist_id: &PlaylistId,
    user_id: &UserId,
) -> Result<Option<Membership>, DbError> {
    let is_collaborator = diesel::dsl::exists(
        collaborations::table
            .filter(collaborations::playlist_id.eq(playlist_id))
            .filter(collaborations::user_id.eq(user_id)),
    );
    let row: Option<(PlaylistId, String, String, UserId, bool)> = playlists::table
        .inner_join(users::table)
        .filter(playlists::id.eq(playlist_id))
        .select((
            playlists::id,
            playlists::name,
            users::username,
            playlists::owner_id,
            is_collaborator,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(
        |(id, name, username, owner_id, is_collaborator)| Membership {
            is_owner: &owner_id == user_id,
            playlist: PlaylistSummary { id, name, username },
            owner_id,
            is_collaborator,
        },
    ))
}

pub async fn delete(conn: &mut AsyncPgConnection, id: &PlaylistId) -> Result<bool, DbError> {
    Ok(diesel::delete(playlists::table.find(id))
        .execute(conn)
        .await?
        > 0)
}

/// Adds the song and records an `add` activity, atomically. A song already in the playlist is a
/// [`DbError::UniqueViolation`] on [`SONG_ALREADY_IN_PLAYLIST`].
pub async fn add_song(
    conn: &mut AsyncPgConnection,
    playlist_id: &PlaylistId,
    song: &SongSummary,
    user_id: &UserId,
    activity_id: &ActivityId,
) -> Result<(), DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        diesel::insert_into(playlist_songs::table)
            .values((
                playlist_songs::playlist_id.eq(playlist_id),
                playlist_songs::song_id.eq(&song.id),
            ))
            .execute(conn)
            .await?;
        record(conn, activity_id, playlist_id, song, user_id, Action::Add).await
    })
    .await
}

/// Removes the song and records a `delete` activity, atomically. `false` when it was not there.
pub async fn remove_song(
    conn: &mut AsyncPgConnection,
    playlist_id: &PlaylistId,
    song: &SongSummary,
    user_id: &UserId,
    activity_id: &ActivityId,
) -> Result<bool, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let removed = diesel::delete(
            playlist_songs::table
                .filter(playlist_songs::playlist_id.eq(playlist_id))
                .filter(playlist_songs::song_id.eq(&song.id)),
        )
        .execute(conn)
        .await?;
        if removed == 0 {
            return Ok(false);
        }
        record(
            conn,
            activity_id,
            playlist_id,
            song,
            user_id,
            Action::Delete,
        )
        .await?;
        Ok(true)
    })
    .await
}

async fn record(
    conn: &mut AsyncPgConnection,
    activity_id: &ActivityId,
    playlist_id: &PlaylistId,
    song: &SongSummary,
    user_id: &UserId,
    action: Action,
) -> Result<(), DbError> {
    diesel::insert_into(playlist_activities::table)
        .values((
            playlist_activities::id.eq(activity_id),
            playlist_activities::playlist_id.eq(playlist_id),
            playlist_activities::song_id.eq(&song.id),
            playlist_activities::song_title.eq(&song.title),
            playlist_activities::user_id.eq(user_id),
            playlist_activities::action.eq(action.as_str()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The songs of a playlist, in the order they were added.
pub async fn songs(
    conn: &mut AsyncPgConnection,
    playlist_id: &PlaylistId,
) -> Result<Vec<SongSummary>, DbError> {
    Ok(playlist_songs::table
        .inner_join(songs::table)
        .filter(playlist_songs::playlist_id.eq(playlist_id))
        .order((playlist_songs::added_at, songs::id))
        .select(SongSummary::as_select())
        .load(conn)
        .await?)
}

/// The activity log, oldest first.
pub async fn activities(
    conn: &mut AsyncPgConnection,
    playlist_id: &PlaylistId,
) -> Result<Vec<Activity>, DbError> {
    Ok(playlist_activities::table
        .inner_join(users::table.on(users::id.eq(playlist_activities::user_id)))
        .filter(playlist_activities::playlist_id.eq(playlist_id))
        .order(playlist_activities::seq)
        .select((
            users::username,
            playlist_activities::song_title,
            playlist_activities::action,
            playlist_activities::time,
        ))
        .load(conn)
        .await?)
}

/// The playlist with its owner's username, whoever asks (for jobs acting on the owner's behalf).
pub async fn summary(
    conn: &mut AsyncPgConnection,
    playlist_id: &PlaylistId,
) -> Result<Option<PlaylistSummary>, DbError> {
    Ok(playlists::table
        .inner_join(users::table)
        .filter(playlists::id.eq(playlist_id))
        .select((playlists::id, playlists::name, users::username))
        .first(conn)
        .await
        .optional()?)
}

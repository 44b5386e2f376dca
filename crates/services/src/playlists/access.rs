//! The rule every playlist route shares: an unknown playlist is 404, someone else's is 403.

use backbeat_db::AsyncPgConnection;
use backbeat_db::playlists::{self, Membership};
use backbeat_domain::Actor;
use backbeat_domain::ids::PlaylistId;

use crate::{Error, Result};

/// What an action on a playlist requires of the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Only the owner (deleting, managing collaborators, exporting).
    Owner,
    /// The owner or a collaborator (reading and editing songs, activities).
    Member,
}

/// The actor's membership of the playlist, or why not.
pub async fn authorize(
    conn: &mut AsyncPgConnection,
    playlist_id: &PlaylistId,
    actor: &Actor,
    need: Need,
) -> Result<Membership> {
    let membership = playlists::membership(conn, playlist_id, &actor.user_id)
        .await?
        .ok_or_else(|| Error::not_found("playlist"))?;
    let allowed = match need {
        Need::Owner => membership.is_owner,
        Need::Member => membership.is_owner || membership.is_collaborator,
    };
    if !allowed {
        let message = match need {
            Need::Owner => "only the playlist's owner may do this",
            Need::Member => "you are not the owner or a collaborator of this playlist",
        };
        return Err(Error::Forbidden(message.to_owned()));
    }
    Ok(membership)
}

//! Rooms: public ones are open to every signed-in account, private ones to their members; an
//! artist's room belongs to the artist's owner. A room's owner moderates it.

use backbeat_db::rooms::{self, ONE_ROOM_PER_ARTIST, Room};
use backbeat_db::{DbError, users};
use backbeat_domain::Actor;
use backbeat_domain::chat::{MemberRole, RoomKind};
use backbeat_domain::ids::{ArtistId, RoomId, UserId};
use backbeat_domain::paging::{Cursor, Page};
use chrono::Utc;

use crate::{Context, Error, Result};

pub struct NewRoom {
    pub name: String,
    pub kind: RoomKind,
    pub artist_id: Option<ArtistId>,
}

/// A room as a caller may use it.
#[derive(Debug, Clone)]
pub struct Entered {
    pub room: Room,
    /// May delete others' messages and add members.
    pub moderator: bool,
}

pub fn not_found() -> Error {
    Error::not_found("room")
}

pub async fn create(ctx: &Context, actor: &Actor, new: NewRoom) -> Result<RoomId> {
    if let Some(artist) = &new.artist_id {
        // An artist that is not the caller's reads as unknown, as everywhere else.
        crate::artists::get(ctx, actor, artist).await?;
    }
    let room = Room {
        id: RoomId::generate(),
        name: new.name,
        kind: new.kind,
        owner_id: actor.user_id.clone(),
        artist_id: new.artist_id,
        created_at: Utc::now(),
    };
    let mut conn = ctx.conn().await?;
    let inserted =
        diesel_async::AsyncConnection::transaction::<_, DbError, _>(&mut *conn, async |conn| {
            rooms::insert(conn, &room).await
        })
        .await;
    match inserted {
        Ok(()) => Ok(room.id),
        Err(e) if e.is_unique_violation(ONE_ROOM_PER_ARTIST) => {
            Err(Error::Conflict("the artist already has a room".to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The room, if the actor may enter it: any public room; a private one as a member; any room as
/// an admin. Others read as unknown.
pub async fn enter(ctx: &Context, actor: &Actor, id: &RoomId) -> Result<Entered> {
    let (room, role) = rooms::find_with_role(&mut *ctx.conn().await?, id, &actor.user_id)
        .await?
        .ok_or_else(not_found)?;
    let admin = actor.role.is_admin();
    if room.kind == RoomKind::Private && role.is_none() && !admin {
        return Err(not_found());
    }
    Ok(Entered {
        room,
        moderator: admin || role == Some(MemberRole::Moderator),
    })
}

/// The rooms the actor may enter, oldest first.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Room>> {
    let rows = rooms::visible_to(
        &mut *ctx.conn().await?,
        &actor.user_id,
        actor.role.is_admin(),
        after,
        limit + 1,
    )
    .await?;
    Ok(Page::from_rows(rows, limit, |room| Cursor {
        at: room.created_at,
        id: room.id.to_string(),
    }))
}

pub async fn member_count(ctx: &Context, room: &RoomId) -> Result<i64> {
    Ok(rooms::member_count(&mut *ctx.conn().await?, room).await?)
}

/// Adds an account to a private room (its moderators and admins do); `false` when it was a
/// member already.
pub async fn add_member(ctx: &Context, actor: &Actor, id: &RoomId, user: &UserId) -> Result<bool> {
    let entered = enter(ctx, actor, id).await?;
    if !entered.moderator {
        return Err(Error::Forbidden(
            "only the room's moderators add members".to_owned(),
        ));
    }
    if entered.room.kind == RoomKind::Public {
        return Err(Error::Conflict(
            "a public room is open to every signed-in account; only private rooms have members"
                .to_owned(),
        ));
    }
    let mut conn = ctx.conn().await?;
    if !users::exists(&mut conn, user).await? {
        return Err(Error::not_found("user"));
    }
    Ok(rooms::add_member(&mut conn, id, user, MemberRole::Member).await?)
}

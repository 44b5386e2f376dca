//! Chat rooms and their members.

use backbeat_domain::chat::{MemberRole, RoomKind};
use backbeat_domain::ids::{ArtistId, RoomId, UserId};
use backbeat_domain::paging::Cursor;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{room_members, rooms};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rooms)]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub kind: RoomKind,
    pub owner_id: UserId,
    pub artist_id: Option<ArtistId>,
    pub created_at: DateTime<Utc>,
}

/// The unique constraint that keeps one room per artist.
pub const ONE_ROOM_PER_ARTIST: &str = "rooms_artist_id_key";

/// The room and its owner as a moderator, together.
pub async fn insert(conn: &mut AsyncPgConnection, room: &Room) -> Result<(), DbError> {
    diesel::insert_into(rooms::table)
        .values(room)
        .execute(conn)
        .await?;
    add_member(conn, &room.id, &room.owner_id, MemberRole::Moderator).await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &RoomId) -> Result<Option<Room>, DbError> {
    Ok(rooms::table
        .find(id)
        .select(Room::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The room with the user's part in it, if any.
pub async fn find_with_role(
    conn: &mut AsyncPgConnection,
    id: &RoomId,
    user: &UserId,
) -> Result<Option<(Room, Option<MemberRole>)>, DbError> {
    Ok(rooms::table
        .left_join(
            room_members::table.on(room_members::room_id
                .eq(rooms::id)
                .and(room_members::user_id.eq(user))),
        )
        .filter(rooms::id.eq(id))
        .select((Room::as_select(), room_members::role.nullable()))
        .first(conn)
        .await
        .optional()?)
}

/// Rooms the user may see (every public room, and the private ones they are a member of), oldest
/// first; every room for `everything` (admins).
pub async fn visible_to(
    conn: &mut AsyncPgConnection,
    user: &UserId,
    everything: bool,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Room>, DbError> {
    let mut query = rooms::table.into_boxed();
    if !everything {
        let member_of = room_members::table
            .filter(room_members::user_id.eq(user.clone()))
            .select(room_members::room_id);
        query = query.filter(
            rooms::kind
                .eq(RoomKind::Public)
                .or(rooms::id.eq_any(member_of)),
        );
    }
    if let Some(after) = after {
        query = query.filter(
            rooms::created_at.gt(after.at).or(rooms::created_at
                .eq(after.at)
                .and(rooms::id.gt(after.id.clone()))),
        );
    }
    Ok(query
        .order((rooms::created_at, rooms::id))
        .limit(limit)
        .select(Room::as_select())
        .load(conn)
        .await?)
}

/// Adds the user; `false` when they were a member already (their role is kept).
pub async fn add_member(
    conn: &mut AsyncPgConnection,
    room: &RoomId,
    user: &UserId,
    role: MemberRole,
) -> Result<bool, DbError> {
    let added = diesel::insert_into(room_members::table)
        .values((
            room_members::room_id.eq(room),
            room_members::user_id.eq(user),
            room_members::role.eq(role),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(added == 1)
}

pub async fn member_count(conn: &mut AsyncPgConnection, room: &RoomId) -> Result<i64, DbError> {
    Ok(room_members::table
        .filter(room_members::room_id.eq(room))
        .count()
        .get_result(conn)
        .await?)
}

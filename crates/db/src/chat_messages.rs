//! Chat messages and their reactions.

use backbeat_domain::ids::{MessageId, RoomId, UserId};
use backbeat_domain::paging::Cursor;
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{chat_messages, message_reactions, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = chat_messages)]
pub struct Message {
    pub id: MessageId,
    pub room_id: RoomId,
    pub author_id: UserId,
    pub client_id: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

pub struct NewMessage<'a> {
    pub id: &'a MessageId,
    pub room_id: &'a RoomId,
    pub author_id: &'a UserId,
    pub client_id: &'a str,
    pub body: &'a str,
}

/// Stores the message unless its author already sent one with this `client_id` to this room;
/// either way returns the stored message, and whether it is new.
pub async fn insert_once(
    conn: &mut AsyncPgConnection,
    new: NewMessage<'_>,
) -> Result<(Message, bool), DbError> {
    let inserted = diesel::insert_into(chat_messages::table)
        .values((
            chat_messages::id.eq(new.id),
            chat_messages::room_id.eq(new.room_id),
            chat_messages::author_id.eq(new.author_id),
            chat_messages::client_id.eq(new.client_id),
            chat_messages::body.eq(new.body),
        ))
        .on_conflict((
            chat_messages::room_id,
            chat_messages::author_id,
            chat_messages::client_id,
        ))
        .do_nothing()
        .returning(Message::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    if let Some(message) = inserted {
        return Ok((message, true));
    }
    let earlier = chat_messages::table
        .filter(chat_messages::room_id.eq(new.room_id))
        .filter(chat_messages::author_id.eq(new.author_id))
        .filter(chat_messages::client_id.eq(new.client_id))
        .select(Message::as_select())
        .first(conn)
        .await?;
    Ok((earlier, false))
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: &MessageId,
) -> Result<Option<Message>, DbError> {
    Ok(chat_messages::table
        .find(id)
        .select(Message::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A page of the room's messages, newest first, deleted ones left out, with their authors'
/// usernames.
pub async fn history(
    conn: &mut AsyncPgConnection,
    room: &RoomId,
    before: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<(Message, String)>, DbError> {
    let mut query = chat_messages::table
        .inner_join(users::table.on(users::id.eq(chat_messages::author_id)))
        .filter(chat_messages::room_id.eq(room))
        .filter(chat_messages::deleted_at.is_null())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(
            chat_messages::created_at
                .lt(before.at)
                .or(chat_messages::created_at
                    .eq(before.at)
                    .and(chat_messages::id.lt(before.id.clone()))),
        );
    }
    Ok(query
        .order((chat_messages::created_at.desc(), chat_messages::id.desc()))
        .limit(limit)
        .select((Message::as_select(), users::username))
        .load(conn)
        .await?)
}

/// Messages of these rooms written or deleted since `since`, oldest first, with their authors'
/// usernames: what a replica that lost the fan-out for a while missed.
pub async fn changed_since(
    conn: &mut AsyncPgConnection,
    rooms: &[RoomId],
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(Message, String)>, DbError> {
    Ok(chat_messages::table
        .inner_join(users::table.on(users::id.eq(chat_messages::author_id)))
        .filter(chat_messages::room_id.eq_any(rooms))
        .filter(
            chat_messages::created_at
                .ge(since)
                .or(chat_messages::deleted_at.ge(since)),
        )
        .order((chat_messages::created_at, chat_messages::id))
        .limit(limit)
        .select((Message::as_select(), users::username))
        .load(conn)
        .await?)
}

/// Marks the message deleted; `false` when it already was.
pub async fn soft_delete(
    conn: &mut AsyncPgConnection,
    id: &MessageId,
    by: &UserId,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        chat_messages::table
            .find(id)
            .filter(chat_messages::deleted_at.is_null()),
    )
    .set((
        chat_messages::deleted_at.eq(diesel::dsl::now),
        chat_messages::deleted_by.eq(by),
    ))
    .execute(conn)
    .await?;
    Ok(changed == 1)
}

/// Records the reaction; `false` when the user had already reacted so.
pub async fn react(
    conn: &mut AsyncPgConnection,
    message: &MessageId,
    user: &UserId,
    emoji: &str,
) -> Result<bool, DbError> {
    let added = diesel::insert_into(message_reactions::table)
        .values((
            message_reactions::message_id.eq(message),
            message_reactions::user_id.eq(user),
            message_reactions::emoji.eq(emoji),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(added == 1)
}

/// How many of each reaction these messages have: `(message, emoji, count)`, by emoji.
pub async fn reaction_counts(
    conn: &mut AsyncPgConnection,
    messages: &[MessageId],
) -> Result<Vec<(MessageId, String, i64)>, DbError> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    Ok(message_reactions::table
        .filter(message_reactions::message_id.eq_any(messages))
        .group_by((message_reactions::message_id, message_reactions::emoji))
        .select((
            message_reactions::message_id,
            message_reactions::emoji,
            count_star(),
        ))
        .order((message_reactions::message_id, message_reactions::emoji))
        .load(conn)
        .await?)
}

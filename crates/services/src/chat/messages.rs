//! Messages: stored before anyone sees them, once per `clientId`, deleted softly.

use std::collections::HashMap;

use backbeat_db::chat_messages::{self, Message, NewMessage};
use backbeat_domain::Actor;
use backbeat_domain::ids::{MessageId, RoomId, UserId};
use backbeat_domain::paging::{Cursor, Page};
use chrono::{DateTime, Utc};

use crate::chat::rooms::{self, Entered};
use crate::{Context, Error, Result};

/// A message as members see it.
#[derive(Debug, Clone)]
pub struct Posted {
    pub id: MessageId,
    pub room_id: RoomId,
    pub user_id: UserId,
    pub username: String,
    pub text: String,
    pub client_id: String,
    pub created_at: DateTime<Utc>,
    /// `(emoji, count)`, by emoji; empty on a new message.
    pub reactions: Vec<(String, i64)>,
}

impl Posted {
    fn from_row(message: Message, username: String) -> Self {
        Self {
            id: message.id,
            room_id: message.room_id,
            user_id: message.author_id,
            username,
            text: message.body,
            client_id: message.client_id,
            created_at: message.created_at,
            reactions: Vec::new(),
        }
    }
}

/// Who writes: the account and the name members see.
pub struct Author<'a> {
    pub actor: &'a Actor,
    pub username: &'a str,
}

/// The name members see for the account; `None` when it no longer exists.
pub async fn author_name(ctx: &Context, user: &UserId) -> Result<Option<String>> {
    Ok(backbeat_db::users::profile(&mut *ctx.conn().await?, user)
        .await?
        .map(|profile| profile.username))
}

/// Stores the message in a room the author entered; a resend (same `client_id`) returns the
/// stored one and `false`, so it is broadcast once.
pub async fn post(
    ctx: &Context,
    author: Author<'_>,
    room: &RoomId,
    text: &str,
    client_id: &str,
) -> Result<(Posted, bool)> {
    let text = backbeat_domain::chat::message_text(text, ctx.settings.chat.max_message_chars)?;
    let client_id = backbeat_domain::chat::client_id(client_id)?;
    let (message, new) = chat_messages::insert_once(
        &mut *ctx.conn().await?,
        NewMessage {
            id: &MessageId::generate(),
            room_id: room,
            author_id: &author.actor.user_id,
            client_id,
            body: text,
        },
    )
    .await?;
    Ok((Posted::from_row(message, author.username.to_owned()), new))
}

/// A page of the room's history, newest first, deleted messages left out.
pub async fn history(
    ctx: &Context,
    actor: &Actor,
    room: &RoomId,
    before: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Posted>> {
    rooms::enter(ctx, actor, room).await?;
    let mut conn = ctx.conn().await?;
    let rows = chat_messages::history(&mut conn, room, before, limit + 1).await?;
    let mut page = Page::from_rows(rows, limit, |(message, _)| Cursor {
        at: message.created_at,
        id: message.id.to_string(),
    });
    let ids: Vec<MessageId> = page.items.iter().map(|(m, _)| m.id.clone()).collect();
    let mut reactions: HashMap<MessageId, Vec<(String, i64)>> = HashMap::new();
    for (message, emoji, count) in chat_messages::reaction_counts(&mut conn, &ids).await? {
        reactions.entry(message).or_default().push((emoji, count));
    }
    let items = std::mem::take(&mut page.items)
        .into_iter()
        .map(|(message, username)| {
            let mut posted = Posted::from_row(message, username);
            posted.reactions = reactions.remove(&posted.id).unwrap_or_default();
            posted
        })
        .collect();
    Ok(Page {
        items,
        next: page.next,
    })
}

/// What members missed while their process could not hear the others: messages written or
/// deleted since `since` in these rooms, oldest first, with whether each is deleted.
pub async fn changed_since(
    ctx: &Context,
    rooms: &[RoomId],
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(Posted, bool)>> {
    if rooms.is_empty() {
        return Ok(Vec::new());
    }
    let rows = chat_messages::changed_since(&mut *ctx.conn().await?, rooms, since, limit).await?;
    Ok(rows
        .into_iter()
        .map(|(message, username)| {
            let deleted = message.deleted_at.is_some();
            (Posted::from_row(message, username), deleted)
        })
        .collect())
}

/// The message, if the actor may see its room.
async fn visible(ctx: &Context, actor: &Actor, id: &MessageId) -> Result<(Message, Entered)> {
    let message = chat_messages::find(&mut *ctx.conn().await?, id)
        .await?
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(|| Error::not_found("message"))?;
    let entered = rooms::enter(ctx, actor, &message.room_id)
        .await
        .map_err(|_| Error::not_found("message"))?;
    Ok((message, entered))
}

/// Deletes a message softly (its author, the room's moderators, admins); returns its room, to
/// tell the members.
pub async fn delete(ctx: &Context, actor: &Actor, id: &MessageId) -> Result<RoomId> {
    let (message, entered) = visible(ctx, actor, id).await?;
    if message.author_id != actor.user_id && !entered.moderator {
        return Err(Error::Forbidden(
            "only the author or the room's moderators delete a message".to_owned(),
        ));
    }
    if !chat_messages::soft_delete(&mut *ctx.conn().await?, id, &actor.user_id).await? {
        return Err(Error::not_found("message"));
    }
    Ok(message.room_id)
}

/// Records a reaction to a message the actor may see; returns its room, and whether the
/// reaction is new (a repeat is not broadcast again).
pub async fn react(
    ctx: &Context,
    actor: &Actor,
    id: &MessageId,
    emoji: &str,
) -> Result<(RoomId, bool)> {
    let emoji = backbeat_domain::chat::emoji(emoji)?;
    let (message, _) = visible(ctx, actor, id).await?;
    let new = chat_messages::react(&mut *ctx.conn().await?, id, &actor.user_id, emoji).await?;
    Ok((message.room_id, new))
}

//! The process's chat hub: which of its own connections joined which room, and the fan-out that
//! carries every room event to the other API processes through Redis.
//!
//! An event is delivered to this process's members at once, then published; every process hears
//! the channel and delivers what others published to its own members. When Redis is lost, each
//! process keeps serving its own connections, keeps what it could not publish (up to a bound) and
//! publishes it when Redis is back, and reads from PostgreSQL the messages written and deleted
//! meanwhile in the rooms its members joined. Messages and deletions carry a key, so one reaching
//! a process twice (heard and caught up) is delivered once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use backbeat_domain::ids::{RoomId, UserId};
use backbeat_services::Context;
use backbeat_services::chat::messages;
use bytestring::ByteString;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::sync::{Notify, mpsc};

use crate::chat::frames::ServerFrame;

/// Events kept while Redis is unreachable, to publish when it is back.
const UNPUBLISHED_MAX: usize = 10_000;
/// Messages read back from PostgreSQL after an outage, at most.
const CATCH_UP_MAX: i64 = 5_000;
/// A subscription is taken as lost this long before its loss was seen.
const LOSS_MARGIN: Duration = Duration::from_secs(5);

/// A connection as the hub reaches it.
#[derive(Clone)]
pub struct Member {
    pub frames: mpsc::Sender<ByteString>,
    /// Told when the connection cannot keep up and must close.
    pub kick: Arc<Notify>,
}

pub type ConnectionId = u64;

pub struct Hub {
    ctx: Context,
    /// Names this process in what it publishes, so it skips its own events when it hears them.
    origin: String,
    rooms: RwLock<HashMap<RoomId, HashMap<ConnectionId, Member>>>,
    /// Keys of messages and deletions delivered lately.
    delivered: moka::sync::Cache<String, ()>,
    unpublished: Mutex<VecDeque<Vec<u8>>>,
    next_connection: AtomicU64,
    /// Connections per account in this process: the limit while Redis cannot count them.
    local_connections: Mutex<HashMap<UserId, u32>>,
    /// Turns true when the process stops: every connection closes with 1001 (going away), so
    /// clients reconnect to another process at once.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Hub {
    pub fn new(ctx: Context) -> Arc<Self> {
        Arc::new(Self {
            ctx,
            origin: backbeat_domain::ids::new_id("api"),
            rooms: RwLock::default(),
            delivered: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(600))
                .build(),
            unpublished: Mutex::default(),
            next_connection: AtomicU64::new(1),
            local_connections: Mutex::default(),
            closing: tokio::sync::watch::Sender::new(false),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Closes every connection of this process (it is stopping).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Changes to true when the process stops.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub fn connection_id(&self) -> ConnectionId {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Counts a connection of `user` in this process; returns how many it now has.
    pub fn opened_locally(&self, user: &UserId) -> u32 {
        let mut counts = self
            .local_connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(user.clone()).or_default();
        *count += 1;
        *count
    }

    pub fn closed_locally(&self, user: &UserId) {
        let mut counts = self
            .local_connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(user);
            }
        }
    }

    pub fn join(&self, room: &RoomId, connection: ConnectionId, member: Member) {
        let mut rooms = self.rooms.write().unwrap_or_else(|p| p.into_inner());
        rooms
            .entry(room.clone())
            .or_default()
            .insert(connection, member);
    }

    pub fn leave(&self, room: &RoomId, connection: ConnectionId) {
        let mut rooms = self.rooms.write().unwrap_or_else(|p| p.into_inner());
        if let Some(members) = rooms.get_mut(room) {
            members.remove(&connection);
            if members.is_empty() {
                rooms.remove(room);
            }
        }
    }

    /// Delivers the frame to the room's members in every process. `key` names a message or a
    /// deletion, which must reach each member once.
    pub async fn broadcast(&self, room: &RoomId, frame: &ServerFrame<'_>, key: Option<String>) {
        let text = frame.to_text();
        if let Some(key) = &key {
            self.delivered.insert(key.clone(), ());
        }
        self.deliver(room, &text);
        let payload = encode(&self.origin, room, key.as_deref(), &text);
        if let Err(error) = self.ctx.chat.publish(&payload).await {
            tracing::warn!(%error, "chat event not published; kept for when Redis is back");
            let mut kept = self.unpublished.lock().unwrap_or_else(|p| p.into_inner());
            if kept.len() == UNPUBLISHED_MAX {
                kept.pop_front();
            }
            kept.push_back(payload);
        }
    }

    /// Hands the frame to this process's members of the room. A member whose queue is full reads
    /// too slowly to follow the room: it is told to close rather than slow the room down.
    fn deliver(&self, room: &RoomId, text: &ByteString) {
        let rooms = self.rooms.read().unwrap_or_else(|p| p.into_inner());
        let Some(members) = rooms.get(room) else {
            return;
        };
        for member in members.values() {
            if let Err(mpsc::error::TrySendError::Full(_)) = member.frames.try_send(text.clone()) {
                member.kick.notify_one();
            }
        }
    }

    /// An event another process published.
    fn heard(&self, payload: &[u8]) {
        let Some((origin, room, key, text)) = decode(payload) else {
            tracing::warn!("unreadable chat event ignored");
            return;
        };
        if origin == self.origin {
            return;
        }
        if let Some(key) = key {
            if self.delivered.contains_key(key) {
                return;
            }
            self.delivered.insert(key.to_owned(), ());
        }
        self.deliver(&RoomId::from(room), &ByteString::from(text.to_owned()));
    }

    fn joined_rooms(&self) -> Vec<RoomId> {
        let rooms = self.rooms.read().unwrap_or_else(|p| p.into_inner());
        rooms.keys().cloned().collect()
    }

    /// Publishes what could not be published; what fails again is kept, in order.
    async fn publish_kept(&self) {
        loop {
            let next = self
                .unpublished
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front();
            let Some(payload) = next else {
                return;
            };
            if self.ctx.chat.publish(&payload).await.is_err() {
                self.unpublished
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_front(payload);
                return;
            }
        }
    }

    /// Delivers what this process's members missed since `since`, from PostgreSQL.
    async fn catch_up(&self, since: DateTime<Utc>) {
        let rooms = self.joined_rooms();
        let missed = match messages::changed_since(&self.ctx, &rooms, since, CATCH_UP_MAX).await {
            Ok(missed) => missed,
            Err(error) => {
                tracing::warn!(%error, "chat catch-up failed; members may have missed messages");
                return;
            }
        };
        let count = missed.len();
        for (posted, deleted) in &missed {
            let (key, frame) = if *deleted {
                (
                    format!("deleted:{}", posted.id),
                    ServerFrame::MessageDeleted {
                        room_id: &posted.room_id,
                        message_id: &posted.id,
                    },
                )
            } else {
                (
                    format!("message:{}", posted.id),
                    ServerFrame::message(posted),
                )
            };
            if self.delivered.contains_key(&key) {
                continue;
            }
            self.delivered.insert(key, ());
            self.deliver(&posted.room_id, &frame.to_text());
        }
        tracing::info!(
            rooms = rooms.len(),
            messages = count,
            "chat caught up after losing Redis"
        );
    }

    /// Listens to the other processes until `stop`, reconnecting after a loss and catching up.
    pub async fn run_fanout(self: Arc<Self>, stop: Arc<Notify>) {
        let mut lost_since: Option<DateTime<Utc>> = None;
        let mut backoff = Duration::from_millis(250);
        loop {
            match self.ctx.chat.subscribe().await {
                Ok(events) => {
                    backoff = Duration::from_millis(250);
                    if let Some(since) = lost_since.take() {
                        tracing::info!("chat fan-out listening again");
                        self.publish_kept().await;
                        self.catch_up(since).await;
                    }
                    let mut events = std::pin::pin!(events);
                    let mut retry_kept = tokio::time::interval(Duration::from_secs(1));
                    loop {
                        tokio::select! {
                            event = events.next() => match event {
                                Some(payload) => self.heard(&payload),
                                None => break,
                            },
                            _ = retry_kept.tick() => self.publish_kept().await,
                            () = stop.notified() => return,
                        }
                    }
                    tracing::warn!("chat fan-out lost its Redis connection");
                    lost_since = Some(Utc::now() - LOSS_MARGIN);
                }
                Err(error) => {
                    if lost_since.is_none() {
                        tracing::warn!(%error, "chat fan-out cannot reach Redis; serving this process's connections only");
                        lost_since = Some(Utc::now() - LOSS_MARGIN);
                    }
                }
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = stop.notified() => return,
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }
}

/// `origin \n room \n key \n frame`: the frame's text is passed on as it is, never parsed again.
fn encode(origin: &str, room: &RoomId, key: Option<&str>, text: &str) -> Vec<u8> {
    let key = key.unwrap_or_default();
    let mut payload =
        Vec::with_capacity(origin.len() + room.as_str().len() + key.len() + text.len() + 3);
    for part in [origin, room.as_str(), key] {
        payload.extend_from_slice(part.as_bytes());
        payload.push(b'\n');
    }
    payload.extend_from_slice(text.as_bytes());
    payload
}

fn decode(payload: &[u8]) -> Option<(&str, &str, Option<&str>, &str)> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut parts = text.splitn(4, '\n');
    let origin = parts.next()?;
    let room = parts.next()?;
    let key = parts.next()?;
    let frame = parts.next()?;
    Some((origin, room, (!key.is_empty()).then_some(key), frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_back_as_published() {
        let room = RoomId::from("room-1");
        let payload = encode(
            "api-a",
            &room,
            Some("message:msg-1"),
            "{\"type\":\"x\\ny\"}",
        );
        assert_eq!(
            decode(&payload),
            Some((
                "api-a",
                "room-1",
                Some("message:msg-1"),
                "{\"type\":\"x\\ny\"}"
            ))
        );
        let payload = encode("api-a", &room, None, "{}");
        assert_eq!(decode(&payload), Some(("api-a", "room-1", None, "{}")));
        assert_eq!(decode(b"only\ntwo"), None);
    }
}

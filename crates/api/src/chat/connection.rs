//! One WebSocket connection, from its authentication to its close.
//!
//! The connection authenticates with its handshake's `Authorization` header (or `X-Api-Key`), or
//! else with an `auth` frame within `chat.auth_timeout_secs`; a missing or bad credential closes
//! it with 1008 (policy violation). Its credential is checked again at every heartbeat, so an
//! expired token, a revoked key or a suspended account closes it too. Abuse (frames over the
//! rate, a message over the length limit, too many connections) gets an `error` frame, then a
//! close with 1008 (1009 for a frame over the size limit); ordinary mistakes (an unknown room, a bad field) get an `error` frame only.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use backbeat_domain::Actor;
use backbeat_domain::access::Scope;
use backbeat_domain::ids::RoomId;
use backbeat_services::Error;
use backbeat_services::access::{self, Identity, Presented};
use backbeat_services::chat::messages::{self, Author};
use backbeat_services::chat::rooms;
use bytestring::ByteString;
use governor::{Quota, RateLimiter};
use tokio::sync::{Notify, mpsc};

use crate::chat::frames::{ClientFrame, ServerFrame, codes};
use crate::chat::hub::{ConnectionId, Hub, Member};
use crate::state::AppState;

/// A credential as the client presented it, kept to check it again at every heartbeat.
#[derive(Debug, Clone)]
pub enum Credential {
    Bearer(String),
    ApiKey(String),
}

impl Credential {
    fn presented(&self) -> Presented<'_> {
        match self {
            Credential::Bearer(token) => Presented::Bearer(token),
            Credential::ApiKey(key) => Presented::ApiKey(key),
        }
    }
}

/// A frame, or a message of continuation frames, over `chat.max_frame_bytes`: actix reports the
/// first as `Overflow`, actix-ws the second as an I/O error of its own.
fn too_big(error: &actix_ws::ProtocolError) -> bool {
    match error {
        actix_ws::ProtocolError::Overflow => true,
        actix_ws::ProtocolError::Io(io) => io.to_string().contains("maximum continuation size"),
        _ => false,
    }
}

/// Why a connection ends, with the close code the client sees.
struct Ending {
    code: CloseCode,
    reason: String,
}

impl Ending {
    fn policy(reason: impl Into<String>) -> Self {
        Self {
            code: CloseCode::Policy,
            reason: reason.into(),
        }
    }
}

struct Connection {
    state: AppState,
    hub: Arc<Hub>,
    id: ConnectionId,
    actor: Actor,
    identity: Identity,
    credential: Credential,
    username: String,
    session: Session,
    member: Member,
    joined: HashSet<RoomId>,
}

/// Runs the connection until it ends; the close frame says why.
pub async fn run(
    state: AppState,
    hub: Arc<Hub>,
    mut session: Session,
    mut stream: AggregatedMessageStream,
    credential: Option<Credential>,
) {
    let settings = state.settings.chat.clone();
    let credential = match credential {
        Some(credential) => Some(credential),
        None => first_frame_credential(&mut session, &mut stream, &settings).await,
    };
    let Some(credential) = credential else {
        close(
            session,
            Ending::policy("authenticate: send an `auth` frame with a token first"),
        )
        .await;
        return;
    };
    let (identity, actor) = match authenticate(&state, &credential).await {
        Ok(pass) => pass,
        Err(reason) => {
            let _ = session
                .text(error_frame(codes::INVALID_TOKEN, &reason, None))
                .await;
            close(session, Ending::policy(reason)).await;
            return;
        }
    };
    let id = hub.connection_id();
    let lapse = Duration::from_secs(settings.client_timeout_secs.max(1) * 2);
    // Counted here in every case (and uncounted at the end): the limit while Redis cannot count.
    let local = hub.opened_locally(&actor.user_id);
    let admitted = match state
        .chat
        .open_connection(
            actor.user_id.as_str(),
            &connection_key(&hub, id),
            settings.max_connections_per_user,
            lapse,
        )
        .await
    {
        Ok(admitted) => admitted && local <= settings.max_connections_per_user,
        Err(_) => local <= settings.max_connections_per_user,
    };
    if !admitted {
        let message = format!(
            "at most {} connections per account",
            settings.max_connections_per_user
        );
        let _ = session
            .text(error_frame(codes::TOO_MANY_CONNECTIONS, &message, None))
            .await;
        finish(&state, &hub, id, &actor, session, Ending::policy(message)).await;
        return;
    }
    let username = match messages::author_name(&state, &actor.user_id).await {
        Ok(Some(username)) => username,
        Ok(None) => {
            let ending = Ending::policy("the account no longer exists");
            finish(&state, &hub, id, &actor, session, ending).await;
            return;
        }
        Err(_) => {
            let ending = Ending {
                code: CloseCode::Again,
                reason: "service temporarily unavailable".to_owned(),
            };
            finish(&state, &hub, id, &actor, session, ending).await;
            return;
        }
    };
    let (frames_tx, frames_rx) = mpsc::channel(settings.send_queue.max(1));
    let member = Member {
        frames: frames_tx,
        kick: Arc::new(Notify::new()),
    };
    let mut connection = Connection {
        state: state.clone(),
        hub: hub.clone(),
        id,
        actor: actor.clone(),
        identity,
        credential,
        username,
        session: session.clone(),
        member,
        joined: HashSet::new(),
    };
    let ending = connection.serve(stream, frames_rx).await;
    connection.leave_all().await;
    finish(&state, &hub, id, &actor, connection.session, ending).await;
}

/// The connection's name among its account's places: unique across processes.
fn connection_key(hub: &Hub, id: ConnectionId) -> String {
    format!("{}:{id}", hub.origin())
}

async fn finish(
    state: &AppState,
    hub: &Hub,
    id: ConnectionId,
    actor: &Actor,
    session: Session,
    ending: Ending,
) {
    hub.closed_locally(&actor.user_id);
    if let Err(error) = state
        .chat
        .close_connection(actor.user_id.as_str(), &connection_key(hub, id))
        .await
    {
        tracing::debug!(%error, "connection place not freed; it lapses by itself");
    }
    close(session, ending).await;
}

async fn close(session: Session, ending: Ending) {
    let _ = session
        .close(Some(CloseReason {
            code: ending.code,
            description: Some(ending.reason),
        }))
        .await;
}

/// Waits for the `auth` frame of a client that sent no credential with its handshake.
async fn first_frame_credential(
    session: &mut Session,
    stream: &mut AggregatedMessageStream,
    settings: &backbeat_config::ChatSettings,
) -> Option<Credential> {
    let wait = Duration::from_secs(settings.auth_timeout_secs.max(1));
    let first = tokio::time::timeout(wait, async {
        loop {
            match stream.recv().await? {
                Ok(AggregatedMessage::Text(text)) => return Some(text),
                Ok(AggregatedMessage::Ping(bytes)) => {
                    let _ = session.pong(&bytes).await;
                }
                Ok(AggregatedMessage::Pong(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()?;
    match serde_json::from_str::<ClientFrame>(&first) {
        // A key is recognised by its prefix, as in an `Authorization: Bearer` header.
        Ok(ClientFrame::Auth { token }) => Some(Credential::Bearer(token)),
        _ => {
            let _ = session
                .text(error_frame(
                    codes::AUTH_REQUIRED,
                    "the first frame must be {\"type\":\"auth\",\"token\":...}",
                    None,
                ))
                .await;
            None
        }
    }
}

/// The credential's account, as it now is; the reason in words otherwise.
async fn authenticate(
    state: &AppState,
    credential: &Credential,
) -> Result<(Identity, Actor), String> {
    let identity = access::identify(state, credential.presented())
        .await
        .map_err(|e| e.to_string())?;
    if let Some(key) = &identity.key
        && !key.allows(Scope::PlaylistsRead)
    {
        return Err("this API key lacks the `playlists:read` scope".to_owned());
    }
    let (admitted, _) = access::admit(state, Some(identity.clone()), &[]).await;
    match admitted {
        Ok(Some(actor)) => Ok((identity, actor)),
        Ok(None) => Err("authentication required".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

fn error_frame(code: &str, message: &str, field: Option<&str>) -> bytestring::ByteString {
    ServerFrame::Error {
        code,
        message,
        field,
    }
    .to_text()
}

/// A failure to tell the client, and whether it ends the connection.
struct Refusal {
    code: &'static str,
    message: String,
    field: Option<String>,
    fatal: bool,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            fatal: false,
        }
    }

    fn fatal(mut self) -> Self {
        self.fatal = true;
        self
    }
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid(fields) => {
                let first = fields.into_iter().next();
                Refusal {
                    code: "VALIDATION_ERROR",
                    message: first.as_ref().map(|f| f.sentence()).unwrap_or_default(),
                    field: first.map(|f| f.field),
                    fatal: false,
                }
            }
            Error::NotFound(what) => Refusal::new("NOT_FOUND", what),
            Error::Forbidden(why) => Refusal::new("FORBIDDEN", why),
            Error::Conflict(why) => Refusal::new("CONFLICT", why),
            Error::Unavailable(_) => Refusal::new("UNAVAILABLE", "service temporarily unavailable"),
            other => {
                tracing::error!(error = %other, "chat frame failed");
                Refusal::new("INTERNAL_ERROR", "internal server error")
            }
        }
    }
}

impl Connection {
    async fn serve(
        &mut self,
        mut stream: AggregatedMessageStream,
        mut frames: mpsc::Receiver<ByteString>,
    ) -> Ending {
        let settings = self.state.settings.chat.clone();
        let ready = ServerFrame::Ready {
            user_id: &self.actor.user_id,
        }
        .to_text();
        if self.session.text(ready).await.is_err() {
            return Ending::policy("closed");
        }
        let per_second =
            NonZeroU32::new(settings.frames_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst));
        let heartbeat_every = Duration::from_secs(settings.heartbeat_secs.max(1));
        let timeout = Duration::from_secs(settings.client_timeout_secs.max(1));
        // Each connection's heartbeats start at a random point of the period: connections opened
        // together (every client reconnecting after a restart) would otherwise all be pinged and
        // re-checked in the same instant, every period.
        let jitter = heartbeat_every.mul_f64(rand::random::<f64>());
        let mut heartbeat = tokio::time::interval_at(
            tokio::time::Instant::now() + heartbeat_every + jitter,
            heartbeat_every,
        );
        let mut last_heard = Instant::now();
        let kick = self.member.kick.clone();
        let mut closing = self.hub.closing();
        loop {
            tokio::select! {
                _ = closing.wait_for(|stopping| *stopping) => {
                    return Ending { code: CloseCode::Away, reason: "the server is stopping; reconnect".to_owned() };
                }
                incoming = stream.recv() => {
                    let message = match incoming {
                        None => return Ending { code: CloseCode::Normal, reason: "closed".to_owned() },
                        Some(Err(error)) if too_big(&error) => {
                            let max = settings.max_frame_bytes;
                            let message = format!("frames are at most {max} bytes");
                            let _ = self.session.text(error_frame(codes::MESSAGE_TOO_LONG, &message, None)).await;
                            return Ending { code: CloseCode::Size, reason: message };
                        }
                        Some(Err(error)) => return Ending {
                            code: CloseCode::Protocol,
                            reason: format!("{error}"),
                        },
                        Some(Ok(message)) => message,
                    };
                    last_heard = Instant::now();
                    match message {
                        AggregatedMessage::Text(text) => {
                            if limiter.check().is_err() {
                                let message = format!(
                                    "more than {} frames per second (bursts of {})",
                                    settings.frames_per_second, settings.burst
                                );
                                let _ = self.session.text(error_frame(codes::RATE_LIMITED, &message, None)).await;
                                return Ending::policy(message);
                            }
                            if let Err(refusal) = self.handle(&text).await {
                                let frame = error_frame(refusal.code, &refusal.message, refusal.field.as_deref());
                                if self.session.text(frame).await.is_err() {
                                    return Ending::policy("closed");
                                }
                                if refusal.fatal {
                                    return Ending::policy(refusal.message);
                                }
                            }
                        }
                        AggregatedMessage::Binary(_) => {
                            let frame = error_frame(codes::INVALID_FRAME, "frames are JSON text", None);
                            if self.session.text(frame).await.is_err() {
                                return Ending::policy("closed");
                            }
                        }
                        AggregatedMessage::Ping(bytes) => {
                            if self.session.pong(&bytes).await.is_err() {
                                return Ending::policy("closed");
                            }
                        }
                        AggregatedMessage::Pong(_) => {}
                        AggregatedMessage::Close(_) => {
                            return Ending { code: CloseCode::Normal, reason: "closed by the client".to_owned() };
                        }
                    }
                }
                frame = frames.recv() => {
                    let Some(frame) = frame else {
                        return Ending { code: CloseCode::Error, reason: "the hub went away".to_owned() };
                    };
                    if self.session.text(frame).await.is_err() {
                        return Ending::policy("closed");
                    }
                }
                () = kick.notified() => {
                    return Ending::policy("reading too slowly to follow the room");
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > timeout {
                        return Ending { code: CloseCode::Away, reason: "no answer to pings".to_owned() };
                    }
                    if let Err(reason) = self.recheck().await {
                        let _ = self.session.text(error_frame(codes::INVALID_TOKEN, &reason, None)).await;
                        return Ending::policy(reason);
                    }
                    if self.session.ping(b"").await.is_err() {
                        return Ending::policy("closed");
                    }
                }
            }
        }
    }

    /// The credential as it now is (expiry, revocation, suspension), and the connection's place
    /// among its account's, renewed.
    async fn recheck(&mut self) -> Result<(), String> {
        let (identity, actor) = authenticate(&self.state, &self.credential).await?;
        self.identity = identity;
        self.actor = actor;
        let lapse = Duration::from_secs(self.state.settings.chat.client_timeout_secs.max(1) * 2);
        let _ = self
            .state
            .chat
            .renew_connection(
                self.actor.user_id.as_str(),
                &connection_key(&self.hub, self.id),
                lapse,
            )
            .await;
        Ok(())
    }

    fn require_write(&self) -> Result<(), Refusal> {
        match &self.identity.key {
            Some(key) if !key.allows(Scope::PlaylistsWrite) => Err(Refusal::new(
                codes::INSUFFICIENT_SCOPE,
                "this API key lacks the `playlists:write` scope",
            )),
            _ => Ok(()),
        }
    }

    fn require_joined(&self, room: &RoomId) -> Result<(), Refusal> {
        if self.joined.contains(room) {
            Ok(())
        } else {
            Err(Refusal::new(
                codes::NOT_JOINED,
                "join the room first (join_room)",
            ))
        }
    }

    async fn handle(&mut self, text: &str) -> Result<(), Refusal> {
        let frame: ClientFrame = serde_json::from_str(text)
            .map_err(|e| Refusal::new(codes::INVALID_FRAME, format!("unreadable frame: {e}")))?;
        match frame {
            ClientFrame::Auth { .. } => Err(Refusal::new(
                codes::INVALID_FRAME,
                "the connection is already authenticated",
            )),
            ClientFrame::JoinRoom { room_id } => {
                rooms::enter(&self.state, &self.actor, &room_id).await?;
                if self.joined.insert(room_id.clone()) {
                    self.hub.join(&room_id, self.id, self.member.clone());
                }
                let frame = ServerFrame::UserJoined {
                    room_id: &room_id,
                    user_id: &self.actor.user_id,
                    username: &self.username,
                };
                self.hub.broadcast(&room_id, &frame, None).await;
                Ok(())
            }
            ClientFrame::LeaveRoom { room_id } => {
                self.require_joined(&room_id)?;
                self.leave(&room_id).await;
                Ok(())
            }
            ClientFrame::SendMessage {
                room_id,
                text,
                client_id,
            } => {
                self.require_write()?;
                self.require_joined(&room_id)?;
                let max = self.state.settings.chat.max_message_chars;
                if text.chars().count() > max {
                    return Err(Refusal::new(
                        codes::MESSAGE_TOO_LONG,
                        format!("messages are at most {max} characters"),
                    )
                    .fatal());
                }
                let author = Author {
                    actor: &self.actor,
                    username: &self.username,
                };
                let (posted, new) =
                    messages::post(&self.state, author, &room_id, &text, &client_id).await?;
                let frame = ServerFrame::message(&posted);
                if new {
                    let key = format!("message:{}", posted.id);
                    self.hub.broadcast(&room_id, &frame, Some(key)).await;
                } else if self.session.text(frame.to_text()).await.is_err() {
                    // A resend: the stored message again, to this connection only.
                    return Ok(());
                }
                Ok(())
            }
            ClientFrame::React { message_id, emoji } => {
                self.require_write()?;
                let (room_id, new) =
                    messages::react(&self.state, &self.actor, &message_id, &emoji).await?;
                if new {
                    let frame = ServerFrame::Reaction {
                        room_id: &room_id,
                        message_id: &message_id,
                        user_id: &self.actor.user_id,
                        emoji: &emoji,
                    };
                    self.hub.broadcast(&room_id, &frame, None).await;
                }
                Ok(())
            }
            ClientFrame::Typing { room_id } => {
                self.require_write()?;
                self.require_joined(&room_id)?;
                let frame = ServerFrame::Typing {
                    room_id: &room_id,
                    user_id: &self.actor.user_id,
                    username: &self.username,
                };
                self.hub.broadcast(&room_id, &frame, None).await;
                Ok(())
            }
        }
    }

    /// Tells the room, the leaver included, then stops following it.
    async fn leave(&mut self, room_id: &RoomId) {
        let frame = ServerFrame::UserLeft {
            room_id,
            user_id: &self.actor.user_id,
            username: &self.username,
        };
        self.hub.broadcast(room_id, &frame, None).await;
        self.hub.leave(room_id, self.id);
        self.joined.remove(room_id);
    }

    async fn leave_all(&mut self) {
        let rooms: Vec<RoomId> = self.joined.iter().cloned().collect();
        for room in rooms {
            self.leave(&room).await;
        }
    }
}

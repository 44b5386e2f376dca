//! Chat rooms over WebSocket, across two API processes sharing one Redis.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{TestApp, expect_error, read, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);

/// A chat client over a real WebSocket.
struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

/// Connects to `address`'s `/ws/chat`, with `Authorization: Bearer <token>` when given.
async fn connect(address: &str, token: Option<&str>) -> Socket {
    let url = format!("{}/ws/chat", address.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().expect("request");
    if let Some(token) = token {
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    let (stream, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket handshake");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    Socket(stream)
}

/// Connects and waits for `ready`.
async fn signed_in(address: &str, token: &str) -> Socket {
    let mut socket = connect(address, Some(token)).await;
    socket.expect("ready").await;
    socket
}

impl Socket {
    async fn send(&mut self, frame: Value) {
        self.0
            .send(Message::text(frame.to_string()))
            .await
            .expect("frame sent");
    }

    /// The next JSON frame, skipping pings; `None` once the server closed (with its close frame's
    /// code).
    async fn next(&mut self) -> Result<Value, Option<CloseCode>> {
        loop {
            let message = tokio::time::timeout(WAIT, self.0.next())
                .await
                .expect("a frame within the wait");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(&text).expect("JSON frame"));
                }
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| f.code)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// The next frame of this type, skipping others (presence, typing).
    async fn expect(&mut self, kind: &str) -> Value {
        loop {
            match self.next().await {
                Ok(frame) if frame["type"] == kind => return frame,
                Ok(_) => continue,
                Err(code) => panic!("closed ({code:?}) while waiting for `{kind}`"),
            }
        }
    }

    /// Frames of this type arriving within `window`.
    async fn count(&mut self, kind: &str, window: Duration) -> usize {
        let mut seen = 0;
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, self.0.next()).await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(&text).expect("JSON");
                if frame["type"] == kind {
                    seen += 1;
                }
            }
        }
        seen
    }

    /// Reads until the server closes; returns the close code and the frames before it.
    async fn closed(&mut self) -> (Option<CloseCode>, Vec<Value>) {
        let mut frames = Vec::new();
        loop {
            match self.next().await {
                Ok(frame) => frames.push(frame),
                Err(code) => return (code, frames),
            }
        }
    }

    async fn join(&mut self, room: &str) {
        self.send(json!({"type": "join_room", "roomId": room}))
            .await;
        let joined = self.expect("user_joined").await;
        assert_eq!(joined["roomId"], room);
    }
}

async fn room(app: &TestApp, token: &str, kind: &str) -> String {
    let (status, body) = read(
        app.post_as(
            "/rooms",
            json!({"name": "Listening party", "kind": kind}),
            Some(token),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["data"]["roomId"].as_str().expect("roomId").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_on_different_processes_exchange_messages_reactions_deletes_and_typing() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let (_, alice, _) = app.user("alice").await;
    let (bob_id, bob, _) = app.user("bob").await;
    let room = room(&app, &alice, "public").await;

    let mut on_a = signed_in(&app.address, &alice).await;
    let mut on_b = signed_in(&replica, &bob).await;
    on_a.join(&room).await;
    on_b.join(&room).await;
    // Alice (on A) hears Bob join (on B).
    let joined = on_a.expect("user_joined").await;
    assert_eq!(joined["userId"], bob_id.as_str());
    assert_eq!(joined["username"], "bob");

    on_a.send(
        json!({"type": "send_message", "roomId": room, "text": "hello from A", "clientId": "a-1"}),
    )
    .await;
    let heard = on_b.expect("message").await;
    assert_eq!(heard["text"], "hello from A");
    assert_eq!(heard["username"], "alice");
    assert_eq!(heard["clientId"], "a-1");
    let message_id = heard["messageId"].as_str().expect("messageId").to_owned();
    // The sender's own copy is its acknowledgement.
    assert_eq!(
        on_a.expect("message").await["messageId"],
        message_id.as_str()
    );

    on_b.send(json!({"type": "react", "messageId": message_id, "emoji": "🔥"}))
        .await;
    let reaction = on_a.expect("reaction").await;
    assert_eq!(reaction["emoji"], "🔥");
    assert_eq!(reaction["userId"], bob_id.as_str());

    on_b.send(json!({"type": "typing", "roomId": room})).await;
    assert_eq!(on_a.expect("typing").await["userId"], bob_id.as_str());

    // Alice, its author, deletes it over HTTP on the other process.
    let deleted = reqwest::Client::new()
        .delete(format!("{replica}/messages/{message_id}"))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(
        on_a.expect("message_deleted").await["messageId"],
        message_id.as_str()
    );
    assert_eq!(
        on_b.expect("message_deleted").await["messageId"],
        message_id.as_str()
    );
    let (_, history) = read(
        app.get(&format!("/rooms/{room}/messages"), Some(&bob))
            .await,
    )
    .await;
    assert_eq!(history["data"]["messages"], json!([]), "{history}");

    // Bob may not delete Alice's messages: he is neither the author nor a moderator.
    on_a.send(
        json!({"type": "send_message", "roomId": room, "text": "keep me", "clientId": "a-2"}),
    )
    .await;
    let kept = on_b.expect("message").await["messageId"]
        .as_str()
        .expect("id")
        .to_owned();
    expect_error(
        app.delete_as(&format!("/messages/{kept}"), None, Some(&bob))
            .await,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    // A closed connection leaves its rooms: the others hear it, across processes.
    drop(on_b);
    let left = on_a.expect("user_left").await;
    assert_eq!(left["userId"], bob_id.as_str());
    assert_eq!(left["roomId"], room.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_with_the_same_client_id_is_stored_and_delivered_once() {
    let app = spawn_app().await;
    let replica = app.replica().await;
    let (_, alice, _) = app.user("alice").await;
    let (_, bob, _) = app.user("bob").await;
    let room = room(&app, &alice, "public").await;
    let mut on_a = signed_in(&app.address, &alice).await;
    let mut on_b = signed_in(&replica, &bob).await;
    on_a.join(&room).await;
    on_b.join(&room).await;

    let frame =
        json!({"type": "send_message", "roomId": room, "text": "once", "clientId": "retry-1"});
    on_a.send(frame.clone()).await;
    let first = on_a.expect("message").await;
    on_a.send(frame).await;
    // The resend is acknowledged with the stored message, to the sender only.
    let again = on_a.expect("message").await;
    assert_eq!(again["messageId"], first["messageId"]);
    assert_eq!(on_b.count("message", Duration::from_millis(1500)).await, 1);
    let (_, history) = read(
        app.get(&format!("/rooms/{room}/messages"), Some(&bob))
            .await,
    )
    .await;
    assert_eq!(
        history["data"]["messages"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_or_missing_credential_closes_with_policy_violation() {
    let app = spawn_app().await;
    let (user_id, token, _) = app.user("alice").await;

    let mut bad = connect(&app.address, Some("not-a-token")).await;
    let (code, frames) = bad.closed().await;
    assert_eq!(code, Some(CloseCode::Policy));
    assert_eq!(frames[0]["code"], "INVALID_TOKEN", "{frames:?}");

    // Without a header, the first frame must authenticate.
    let mut silent = connect(&app.address, None).await;
    silent
        .send(json!({"type": "join_room", "roomId": "room-x"}))
        .await;
    let (code, frames) = silent.closed().await;
    assert_eq!(code, Some(CloseCode::Policy));
    assert_eq!(frames[0]["code"], "AUTH_REQUIRED");

    let mut browser = connect(&app.address, None).await;
    browser.send(json!({"type": "auth", "token": token})).await;
    assert_eq!(browser.expect("ready").await["userId"], user_id.as_str());

    // A plain GET is not a handshake: a 400 with the field at fault, not a 500.
    let (status, body) = read(app.get("/ws/chat", Some(&token)).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["details"][0]["field"], "Upgrade");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_size_limit_gets_an_error_frame_then_close_1009() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("alice").await;
    let room = room(&app, &token, "public").await;
    let mut big = signed_in(&app.address, &token).await;
    big.join(&room).await;
    // 100,000 characters: past `chat.max_frame_bytes` (16 KiB), not only the message length.
    big.send(
        json!({"type": "send_message", "roomId": room, "text": "x".repeat(100_000), "clientId": "c"}),
    )
    .await;
    let (code, frames) = big.closed().await;
    assert_eq!(code, Some(CloseCode::Size), "{frames:?}");
    let error = frames
        .iter()
        .find(|f| f["type"] == "error")
        .expect("an error frame before the close");
    assert_eq!(error["code"], "MESSAGE_TOO_LONG", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("16384")),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_gets_an_error_frame_then_a_close() {
    let app = spawn_app_with(|s| {
        s.chat.frames_per_second = 1;
        s.chat.burst = 5;
        s.chat.max_message_chars = 20;
        s.chat.max_connections_per_user = 2;
    })
    .await;
    let (_, token, _) = app.user("alice").await;
    let room = room(&app, &token, "public").await;

    let mut fast = signed_in(&app.address, &token).await;
    fast.join(&room).await;
    for _ in 0..10 {
        fast.send(json!({"type": "typing", "roomId": room})).await;
    }
    let (code, frames) = fast.closed().await;
    assert_eq!(code, Some(CloseCode::Policy));
    let error = frames
        .iter()
        .find(|f| f["type"] == "error")
        .expect("error frame");
    assert_eq!(error["code"], "RATE_LIMITED");

    let mut long = signed_in(&app.address, &token).await;
    long.join(&room).await;
    long.send(
        json!({"type": "send_message", "roomId": room, "text": "x".repeat(21), "clientId": "c"}),
    )
    .await;
    let (code, frames) = long.closed().await;
    assert_eq!(code, Some(CloseCode::Policy));
    assert!(
        frames.iter().any(|f| f["code"] == "MESSAGE_TOO_LONG"),
        "{frames:?}"
    );

    // Two connections per account, counted across processes.
    let replica = app.replica().await;
    let _one = signed_in(&app.address, &token).await;
    let _two = signed_in(&replica, &token).await;
    let mut three = connect(&app.address, Some(&token)).await;
    let (code, frames) = three.closed().await;
    assert_eq!(code, Some(CloseCode::Policy));
    assert_eq!(frames[0]["code"], "TOO_MANY_CONNECTIONS");

    // Mistakes are not abuse: an error frame, and the connection stays.
    drop(_one);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut polite = signed_in(&app.address, &token).await;
    polite
        .send(json!({"type": "join_room", "roomId": "room-nope"}))
        .await;
    assert_eq!(polite.expect("error").await["code"], "NOT_FOUND");
    polite
        .send(json!({"type": "send_message", "roomId": room, "text": "hi", "clientId": "c"}))
        .await;
    assert_eq!(polite.expect("error").await["code"], "NOT_JOINED");
    polite.join(&room).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_rooms_are_for_their_members() {
    let app = spawn_app().await;
    let (_, owner, _) = app.user("owner").await;
    let (guest_id, guest, _) = app.user("guest").await;
    let room = room(&app, &owner, "private").await;

    expect_error(
        app.get(&format!("/rooms/{room}"), Some(&guest)).await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    expect_error(
        app.get(&format!("/rooms/{room}/messages"), Some(&guest))
            .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let mut outside = signed_in(&app.address, &guest).await;
    outside
        .send(json!({"type": "join_room", "roomId": room}))
        .await;
    assert_eq!(outside.expect("error").await["code"], "NOT_FOUND");
    let (_, listed) = read(app.get("/rooms", Some(&guest)).await).await;
    assert_eq!(listed["data"]["rooms"], json!([]));

    // Only its moderators add members.
    expect_error(
        app.post_as(
            &format!("/rooms/{room}/members"),
            json!({"userId": guest_id}),
            Some(&guest),
        )
        .await,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
    )
    .await;
    let added = app
        .post_as(
            &format!("/rooms/{room}/members"),
            json!({"userId": guest_id}),
            Some(&owner),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let (status, body) = read(app.get(&format!("/rooms/{room}"), Some(&guest)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["room"]["memberCount"], 2);
    assert_eq!(body["data"]["room"]["moderator"], false);
    outside.join(&room).await;

    let unknown = app
        .post_as(
            &format!("/rooms/{room}/members"),
            json!({"userId": "user-nobody"}),
            Some(&owner),
        )
        .await;
    expect_error(unknown, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_newest_first_without_skipping_or_repeating_while_messages_arrive() {
    // Faster than a person types: the per-connection rate is not what is tested here.
    let app = spawn_app_with(|s| {
        s.chat.frames_per_second = 1000;
        s.chat.burst = 1000;
    })
    .await;
    let (_, token, _) = app.user("alice").await;
    let room = room(&app, &token, "public").await;
    let mut socket = signed_in(&app.address, &token).await;
    socket.join(&room).await;
    let mut sent = Vec::new();
    for n in 0..25 {
        socket
            .send(json!({"type": "send_message", "roomId": room, "text": format!("m{n}"), "clientId": format!("c{n}")}))
            .await;
        sent.push(
            socket.expect("message").await["messageId"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }

    let mut writer = signed_in(&app.address, &token).await;
    writer.join(&room).await;
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut page = 0;
    loop {
        // New messages arrive between pages.
        writer
            .send(json!({"type": "send_message", "roomId": room, "text": "late", "clientId": format!("late{page}")}))
            .await;
        writer.expect("message").await;
        page += 1;
        let path = match &cursor {
            Some(c) => format!("/rooms/{room}/messages?limit=10&cursor={c}"),
            None => format!("/rooms/{room}/messages?limit=10"),
        };
        let (status, body) = read(app.get(&path, Some(&token)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for message in body["data"]["messages"].as_array().expect("messages") {
            seen.push(message["id"].as_str().expect("id").to_owned());
        }
        match body["meta"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "a message repeated: {seen:?}");
    let older: Vec<&String> = seen.iter().filter(|id| sent.contains(id)).collect();
    let newest_first: Vec<&String> = sent.iter().rev().collect();
    assert_eq!(
        older, newest_first,
        "every message before paging, newest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_process_serves_its_own_members_without_redis_and_catches_up_when_it_is_back() {
    let mut redis = backbeat_testkit::redis::TestRedis::start().await;
    let app = spawn_app_with(|s| s.redis.url = redis.url().into()).await;
    let replica = app.replica().await;
    let (_, alice, _) = app.user("alice").await;
    let (_, bob, _) = app.user("bob").await;
    let room = room(&app, &alice, "public").await;
    let mut on_a = signed_in(&app.address, &alice).await;
    let mut on_b = signed_in(&replica, &bob).await;
    on_a.join(&room).await;
    on_b.join(&room).await;
    on_a.expect("user_joined").await;

    redis.stop();
    // Each process goes on for its own connections: the sender gets its message at once.
    on_a.send(json!({"type": "send_message", "roomId": room, "text": "from A, Redis down", "clientId": "a-down"}))
        .await;
    assert_eq!(on_a.expect("message").await["text"], "from A, Redis down");
    on_b.send(json!({"type": "send_message", "roomId": room, "text": "from B, Redis down", "clientId": "b-down"}))
        .await;
    assert_eq!(on_b.expect("message").await["text"], "from B, Redis down");

    redis.restart().await;
    // Back: each hears what the other wrote meanwhile, once.
    assert_eq!(on_a.expect("message").await["text"], "from B, Redis down");
    assert_eq!(on_b.expect("message").await["text"], "from A, Redis down");
    assert_eq!(on_a.count("message", Duration::from_secs(2)).await, 0);
    assert_eq!(on_b.count("message", Duration::from_millis(200)).await, 0);

    // And live fan-out works again.
    on_a.send(
        json!({"type": "send_message", "roomId": room, "text": "live again", "clientId": "a-up"}),
    )
    .await;
    assert_eq!(on_b.expect("message").await["text"], "live again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_process_closes_its_connections_as_going_away() {
    let app = spawn_app().await;
    let (_, token, _) = app.user("alice").await;
    let mut socket = signed_in(&app.address, &token).await;
    app.state.chat_hub.close_all();
    let (code, _) = socket.closed().await;
    assert_eq!(code, Some(CloseCode::Away));
}

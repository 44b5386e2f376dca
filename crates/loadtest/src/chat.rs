//! Chat over WebSocket: 1,000 clients connected across two API processes sharing one Redis, in
//! rooms of 100 whose members alternate between the processes, so half of every room's
//! deliveries cross from one process to the other through Redis.
//!
//! Measured: each process's memory before and after its 500 connections settle (memory per idle
//! connection), then, for each offered rate, the messages delivered per second end to end (a
//! message sent by one client and read by every other member) and the delivery latency (from the
//! sender's write to each reader's read, one clock: every client is in this process).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::Options;
use crate::stack::{self, Processes, memory_mib, percentile};

const ROOM_SIZE: usize = 100;
const USERS: usize = 100;
/// Members of each room that send (the others only read).
const SENDERS_PER_ROOM: usize = 10;

pub const ENV: &[(&str, &str)] = &[
    // Each of the 100 accounts holds 10 connections; senders far exceed a person's pace.
    ("APP_CHAT__MAX_CONNECTIONS_PER_USER", "100"),
    ("APP_CHAT__FRAMES_PER_SECOND", "100000"),
    ("APP_CHAT__BURST", "100000"),
];

/// One client's reading side: what it counted, and its latencies.
#[derive(Default)]
struct Received {
    messages: u64,
    latencies: Vec<Duration>,
    /// Why the server closed the connection, if it did.
    closed: Option<String>,
}

struct Client {
    sink: futures_util::stream::SplitSink<
        tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        Message,
    >,
    received: Arc<Mutex<Received>>,
    room: String,
}

pub async fn run(options: &Options, clients: usize, rates: &[u64]) -> anyhow::Result<String> {
    let ports = [options.port, options.port + 1];
    let binary = stack::binary("backbeat-api");
    let mut apis = Vec::new();
    for port in ports {
        let opts = Options {
            port,
            ..options.clone()
        };
        apis.push(stack::start_api(&binary, crate::DATABASE, &opts, ENV)?);
    }
    let processes = Processes(apis);
    for port in ports {
        crate::wait_until_ready(port).await?;
    }
    let pids: Vec<u32> = processes.0.iter().map(|c| c.id()).collect();

    let mut tokens = Vec::new();
    for n in 1..=USERS {
        tokens.push(stack::login(ports[0], &format!("bench{n}")).await?);
    }
    let rooms = clients.div_ceil(ROOM_SIZE);
    let mut room_ids = Vec::new();
    for n in 0..rooms {
        room_ids.push(create_room(ports[0], &tokens[0], n).await?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before: Vec<f64> = pids
        .iter()
        .map(|pid| memory_mib(*pid, "VmRSS"))
        .collect::<Result<_, _>>()?;

    let base = Instant::now();
    let connected = Instant::now();
    let mut all = Vec::with_capacity(clients);
    for i in 0..clients {
        let port = ports[i % 2];
        let token = &tokens[i % USERS];
        let room = room_ids[i / ROOM_SIZE].clone();
        all.push(connect(port, token, room, base).await?);
    }
    let connect_secs = connected.elapsed().as_secs_f64();
    // Presence frames of 1,000 joins settle, then memory is read with every connection idle.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after: Vec<f64> = pids
        .iter()
        .map(|pid| memory_mib(*pid, "VmRSS"))
        .collect::<Result<_, _>>()?;
    let per_process = clients as f64 / 2.0;
    let per_connection_kib: Vec<f64> = before
        .iter()
        .zip(&after)
        .map(|(b, a)| (a - b) * 1024.0 / per_process)
        .collect();

    let mut rows = String::new();
    let mut senders: Vec<Client> = Vec::new();
    let mut readers = Vec::new();
    // Readers only: their write halves are held so their connections stay open.
    let mut listening = Vec::new();
    for (i, client) in all.into_iter().enumerate() {
        readers.push(client.received.clone());
        if i % ROOM_SIZE < SENDERS_PER_ROOM {
            senders.push(client);
        } else {
            listening.push(client.sink);
        }
    }
    let senders = Arc::new(Mutex::new(senders));
    for &rate in rates {
        for r in &readers {
            let mut r = r.lock().await;
            r.messages = 0;
            r.latencies.clear();
        }
        let seconds = options.seconds;
        let sent = offer(senders.clone(), rate, Duration::from_secs(seconds), base).await?;
        // Deliveries still on their way are counted too.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut delivered = 0;
        let mut latencies = Vec::new();
        let mut closed: std::collections::BTreeMap<String, usize> = Default::default();
        for r in &readers {
            let mut r = r.lock().await;
            delivered += r.messages;
            latencies.append(&mut r.latencies);
            if let Some(reason) = r.closed.take() {
                *closed.entry(reason).or_default() += 1;
            }
        }
        let closed = if closed.is_empty() {
            "none".to_owned()
        } else {
            closed
                .iter()
                .map(|(reason, n)| format!("{n}: {reason}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        latencies.sort();
        let expected = sent * (ROOM_SIZE as u64);
        rows.push_str(&format!(
            "| {rate} | {sent} | {delivered} ({:.1}% of {expected}) | {:.0} | {:.2} | {:.2} | {:.2} | {closed} |\n",
            delivered as f64 * 100.0 / expected.max(1) as f64,
            delivered as f64 / seconds as f64,
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0),
        ));
    }
    drop(listening);
    drop(processes);
    Ok(format!(
        "## Chat: {clients} WebSocket clients across two API processes (one run, same machine)\n\n\
         - {rooms} public rooms of {ROOM_SIZE} members, members alternating between the two \
         processes (half of each room's deliveries go through Redis pub/sub); {SENDERS_PER_ROOM} \
         senders per room, paced; {USERS} accounts; the clients run in the benchmark's own process\n\
         - {clients} clients connected, authenticated and joined in {connect_secs:.1} s\n\
         - memory per idle connection (RSS growth after 500 connections settled / 500): \
         process A {:.1} KiB, process B {:.1} KiB (RSS {:.1} → {:.1} MiB and {:.1} → {:.1} MiB)\n\n\
         A message counts as delivered once per member that reads it (the sender included), \
         latency from the sender's write to the reader's read.\n\n\
         | offered msg/s | sent | delivered | deliveries/s | p50 ms | p99 ms | max ms | connections closed |\n\
         |---|---|---|---|---|---|---|---|\n{rows}",
        per_connection_kib[0], per_connection_kib[1], before[0], after[0], before[1], after[1],
    ))
}

async fn create_room(port: u16, token: &str, n: usize) -> anyhow::Result<String> {
    let body: Value = crate::stack::http()
        .post(format!("http://127.0.0.1:{port}/rooms"))
        .bearer_auth(token)
        .json(&json!({"name": format!("Bench room {n}"), "kind": "public"}))
        .send()
        .await?
        .json()
        .await?;
    body["data"]["roomId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("room not created: {body}"))
}

/// Connects, authenticates with the handshake, joins the room and leaves a reader running.
async fn connect(port: u16, token: &str, room: String, base: Instant) -> anyhow::Result<Client> {
    let mut request = format!("ws://127.0.0.1:{port}/ws/chat").into_client_request()?;
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse()?);
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    let (mut sink, mut stream) = socket.split();
    sink.send(Message::text(
        json!({"type": "join_room", "roomId": room}).to_string(),
    ))
    .await?;
    let received = Arc::new(Mutex::new(Received::default()));
    let counted = received.clone();
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            let text = match message {
                Message::Text(text) => text,
                Message::Close(frame) => {
                    counted.lock().await.closed = Some(
                        frame.map_or("closed".to_owned(), |f| format!("{} {}", f.code, f.reason)),
                    );
                    break;
                }
                _ => continue,
            };
            // Only message frames carry a send time: `"text":"t<micros>"`.
            let Some(at) = text
                .find("\"text\":\"t")
                .and_then(|i| text[i + 9..].split('"').next())
                .and_then(|micros| micros.parse::<u64>().ok())
            else {
                continue;
            };
            let latency = base.elapsed().saturating_sub(Duration::from_micros(at));
            let mut r = counted.lock().await;
            r.messages += 1;
            r.latencies.push(latency);
        }
    });
    Ok(Client {
        sink,
        received,
        room,
    })
}

/// Sends `rate` messages per second in total, spread over the senders, for `length`; returns how
/// many were sent.
async fn offer(
    senders: Arc<Mutex<Vec<Client>>>,
    rate: u64,
    length: Duration,
    base: Instant,
) -> anyhow::Result<u64> {
    let mut senders = senders.lock().await;
    let count = senders.len() as u64;
    let each = Duration::from_secs_f64(count as f64 / rate.max(1) as f64);
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, sender) in senders.iter_mut().enumerate() {
        let sent = sent.clone();
        let failed = failed.clone();
        // Staggered, so the senders do not all write in the same instant.
        let offset = each.mul_f64(i as f64 / count as f64);
        tasks.push(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, each);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n = 0u64;
            while started.elapsed() < length {
                tick.tick().await;
                n += 1;
                let frame = json!({
                    "type": "send_message",
                    "roomId": sender.room,
                    "text": format!("t{}", base.elapsed().as_micros()),
                    "clientId": format!("{}-{n}", base.elapsed().as_nanos()),
                });
                if sender
                    .sink
                    .send(Message::text(frame.to_string()))
                    .await
                    .is_err()
                {
                    failed.store(true, Ordering::Relaxed);
                    return;
                }
                sent.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    futures_util::future::join_all(tasks).await;
    anyhow::ensure!(
        !failed.load(Ordering::Relaxed),
        "a sender's connection closed"
    );
    Ok(sent.load(Ordering::Relaxed))
}

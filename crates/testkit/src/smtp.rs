//! A real SMTP server on loopback for tests: it speaks enough ESMTP for lettre, keeps what it
//! receives, and can be told to refuse, stall or slow down, to test the mail path's failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    /// `451` at DATA: a temporary failure.
    RejectTemporarily,
    /// Reads the message, then never answers (the sender hangs, as on a dead server).
    Stall,
    /// Reads the message and waits this long before accepting it.
    Delay(Duration),
}

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
    /// When the server accepted it (for latency measurements).
    pub received_at: std::time::Instant,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<ReceivedMail>>,
    behaviour: Mutex<Option<Behaviour>>,
    /// Messages whose DATA was fully read, whatever happened next.
    data_seen: Mutex<usize>,
    /// TCP connections accepted.
    connections: Mutex<usize>,
    changed: Notify,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        Self::serve(listener)
    }

    /// On a given port (a server coming back where another was); `None` while it is taken.
    pub async fn start_on(port: u16) -> Option<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.ok()?;
        Some(Self::serve(listener))
    }

    fn serve(listener: TcpListener) -> Self {
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared::default());
        let accept = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            // Dropped with the server: its open connections close too, as a stopped server's.
            let mut sessions = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                *accept.connections.lock().expect("lock") += 1;
                let shared = Arc::clone(&accept);
                sessions.spawn(async move {
                    let _ = session(stream, shared).await;
                });
                while sessions.try_join_next().is_some() {}
            }
        });
        Self { port, shared, task }
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.shared.behaviour.lock().expect("lock") = Some(behaviour);
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// TCP connections accepted so far (a sender that keeps its connection open makes one).
    pub fn connections(&self) -> usize {
        *self.shared.connections.lock().expect("lock")
    }

    pub fn data_seen(&self) -> usize {
        *self.shared.data_seen.lock().expect("lock")
    }

    /// Waits until `count` messages were accepted; panics after `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        self.wait(|s| s.received().len() >= count, timeout, "messages")
            .await;
        self.received()
    }

    /// Waits until `count` messages were read (accepted or not).
    pub async fn wait_for_data(&self, count: usize, timeout: Duration) {
        self.wait(|s| s.data_seen() >= count, timeout, "DATA commands")
            .await;
    }

    async fn wait(&self, done: impl Fn(&Self) -> bool, timeout: Duration, what: &str) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before the check, so a change in between is not missed.
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done(self) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() && !done(self) {
                panic!(
                    "SMTP server: timed out waiting for {what}; received {}",
                    self.received().len()
                );
            }
        }
    }
}

async fn session(stream: tokio::net::TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 backbeat-test ESMTP\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write
                .write_all(b"250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..]
                .trim()
                .trim_matches(['<', '>'])
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_owned();
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(['<', '>']).to_owned());
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            let behaviour = shared
                .behaviour
                .lock()
                .expect("lock")
                .unwrap_or(Behaviour::Accept);
            if behaviour == Behaviour::RejectTemporarily {
                write.write_all(b"451 4.3.0 try again later\r\n").await?;
                *shared.data_seen.lock().expect("lock") += 1;
                shared.changed.notify_waiters();
                continue;
            }
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = Vec::new();
            loop {
                let mut raw = Vec::new();
                if lines.read_until(b'\n', &mut raw).await? == 0 {
                    return Ok(());
                }
                if raw == b".\r\n" || raw == b".\n" {
                    break;
                }
                // Dot-unstuffing (RFC 5321 4.5.2).
                let raw = if raw.starts_with(b"..") {
                    raw[1..].to_vec()
                } else {
                    raw
                };
                data.extend_from_slice(&raw);
            }
            *shared.data_seen.lock().expect("lock") += 1;
            shared.changed.notify_waiters();
            match behaviour {
                Behaviour::Stall => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return Ok(());
                }
                Behaviour::Delay(delay) => tokio::time::sleep(delay).await,
                _ => {}
            }
            shared.received.lock().expect("lock").push(ReceivedMail {
                from: from.clone(),
                to: to.clone(),
                data,
                received_at: std::time::Instant::now(),
            });
            shared.changed.notify_waiters();
            write.write_all(b"250 2.0.0 queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 command not implemented\r\n").await?;
        }
    }
}

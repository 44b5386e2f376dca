//! The backbeat worker: consumes jobs from RabbitMQ and runs them (the jobs themselves are defined
//! by the services crate, per area), fires periodic tasks, and runs an outbox relay so jobs go out
//! even when no API replica is up.

pub mod consumer;
pub mod dead;
pub mod endpoint;
pub mod scheduler;
pub mod shutdown;

use std::sync::Arc;
use std::time::Duration;

use backbeat_config::Settings;
use backbeat_services::Context;
use backbeat_services::jobs::Relay;

use crate::consumer::{Consumer, Stopped};

/// Connects (retrying while PostgreSQL or RabbitMQ is down), reports ready, and consumes until
/// SIGINT/SIGTERM, then drains in-flight jobs.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    if let Some((_, fingerprint)) =
        backbeat_services::distribution::release::sftp_public_key(&settings)
            .map_err(anyhow::Error::msg)?
    {
        tracing::info!(%fingerprint, "SFTP deliveries log in with this key");
    }
    let shutdown = shutdown::signal();
    tokio::pin!(shutdown);
    let ctx = Arc::new(Context::build(settings, "backbeat-worker").await?);
    let consuming = endpoint::Consuming::default();
    let endpoint = endpoint::serve(Arc::clone(&ctx), consuming.clone());
    let broker = ctx.broker.clone();
    let connected = async {
        retry("database", || backbeat_db::pool::ping(&ctx.db)).await;
        retry("rabbitmq", || broker.ping()).await;
    };
    tokio::select! {
        () = connected => {}
        () = &mut shutdown => {
            tracing::info!("shutdown requested before the worker was ready");
            return Ok(());
        }
    }
    let name = format!("backbeat-worker-{}", std::process::id());
    let relay = Relay::new(ctx.db.clone(), broker.clone(), &ctx.settings);
    let stop_relay = relay.stopper();
    let relay_task = tokio::spawn(relay.run());
    let (stop_scheduler, scheduler_stopped) = tokio::sync::watch::channel(false);
    let scheduler_task = tokio::spawn(scheduler::run(
        Arc::clone(&ctx),
        name.clone(),
        scheduler_stopped,
    ));
    let consumer = Consumer {
        grace: Duration::from_secs(ctx.settings.jobs.shutdown_grace_secs),
        topology: backbeat_services::jobs::topology(&ctx.settings),
        ctx,
        broker: broker.clone(),
        name,
        consuming,
        running: consumer::Running::default(),
    };
    tracing::info!("backbeat-worker ready");
    let mut delay = Duration::from_millis(500);
    loop {
        match consumer.run(&mut shutdown).await {
            Stopped::Shutdown => break,
            Stopped::Disconnected(error) => {
                tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "lost RabbitMQ; reconnecting");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = &mut shutdown => break,
                }
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
    tracing::info!("backbeat-worker stopping");
    consumer.finish().await;
    // A tick in progress finishes its transaction first.
    let _ = stop_scheduler.send(true);
    let _ = scheduler_task.await;
    // The relay closes its channel before the connection goes.
    stop_relay.notify_one();
    let abort_relay = relay_task.abort_handle();
    if tokio::time::timeout(Duration::from_secs(5), relay_task)
        .await
        .is_err()
    {
        abort_relay.abort();
    }
    broker.close().await;
    if let Some(endpoint) = endpoint {
        endpoint.stop(true).await;
    }
    consumer.ctx.db.close();
    tracing::info!("backbeat-worker stopped");
    Ok(())
}

/// Background work yields the CPU to the API when they share a machine. Linux applies a
/// niceness to the calling thread and threads inherit it when created: call this before the
/// runtime starts its threads.
pub fn lower_priority(nice: i32) {
    if nice <= 0 {
        return;
    }
    let nice = nice.min(19);
    match rustix::process::setpriority_process(None, nice) {
        Ok(()) => tracing::info!(nice, "worker CPU priority lowered"),
        Err(error) => tracing::warn!(%error, nice, "cannot lower the worker's CPU priority"),
    }
    lower_session_priority(nice);
}

/// Under the kernel's autogroup scheduling (on by default in many distributions), a niceness
/// ranks a thread only among the processes of its own session; against the API, Redis and
/// PostgreSQL, each started in a session of its own, a session competes as one. A worker that
/// leads its session (started by a service manager, in a container, or with `setsid`, as
/// `./dev run` does) gives the session its niceness too. One that shares its parent's session
/// leaves the session alone: that would slow its parent and siblings down with it.
fn lower_session_priority(nice: i32) {
    const AUTOGROUP: &str = "/proc/self/autogroup";
    if !std::path::Path::new(AUTOGROUP).exists() {
        return;
    }
    let leader = session_id().is_some_and(|sid| sid == std::process::id());
    if !leader {
        tracing::info!(
            "the worker shares its parent's session, so its niceness counts only within it; \
             start it with `setsid` (or as a service) for it to yield to the API"
        );
        return;
    }
    match std::fs::write(AUTOGROUP, nice.to_string()) {
        Ok(()) => tracing::info!(
            nice,
            "the worker's session (autogroup) CPU priority lowered"
        ),
        Err(error) => {
            tracing::warn!(%error, nice, "cannot lower the worker's session CPU priority")
        }
    }
}

/// The calling process's session id, read from `/proc/self/stat` rather than `getsid(2)`:
/// a process started directly by the kernel (an init, some CI runners) is in session 0, which
/// `rustix::process::getsid` cannot represent and panics on.
fn session_id() -> Option<u32> {
    session_in_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// `pid (comm) state ppid pgrp session ...`; comm may hold spaces and parentheses.
fn session_in_stat(stat: &str) -> Option<u32> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(3)?.parse().ok()
}

/// Retries a connection check with capped exponential back-off, logging each failure.
async fn retry<F, Fut, E>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut delay = Duration::from_millis(250);
    loop {
        match check().await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(dependency = what, %error, retry_in_ms = delay.as_millis() as u64, "not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::session_in_stat;

    #[test]
    fn the_session_is_read_past_a_command_name_holding_spaces_and_parentheses() {
        let stat = "4262 (a (b) c) S 4261 4262 4263 34816 4262 4194560 0";
        assert_eq!(session_in_stat(stat), Some(4263));
    }

    #[test]
    fn session_zero_is_a_session_like_any_other() {
        let stat = "1 (init) S 0 0 0 0 -1 4194560 0";
        assert_eq!(session_in_stat(stat), Some(0));
    }

    #[test]
    fn this_process_has_a_session() {
        assert!(super::session_id().is_some());
    }
}

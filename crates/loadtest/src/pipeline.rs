//! The job pipeline under load: export latency (request to email received) with two workers,
//! and the outbox relay's publish rate.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_config::Settings;
use backbeat_config::secrecy::ExposeSecret;
use backbeat_queue::Broker;
use backbeat_services::jobs::{Relay, topology};
use backbeat_testkit::smtp::SmtpServer;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::json;
use tokio::sync::Mutex;

use crate::seed::{Catalog, PASSWORD};
use crate::stack::{Processes, process};
use crate::{DATABASE, Options};

const PREFIX: &str = "bench";

fn with_bench_env(command: &mut Command, options: &Options, smtp_port: u16) {
    command
        .env("APP_DATABASE__NAME", DATABASE)
        .env("APP_RABBITMQ__PREFIX", PREFIX)
        .env("APP_SMTP__HOST", "127.0.0.1")
        .env("APP_SMTP__PORT", smtp_port.to_string())
        .env("APP_SMTP__TLS", "none")
        .env("APP_SERVER__PORT", options.port.to_string())
        .env("APP_LOG__FILTER", "warn")
        .envs(crate::stack::NO_RATE_LIMITS.iter().copied())
        .stdout(Stdio::null());
}

/// Sends `count` exports from `options.concurrency` clients to the release API with two release
/// workers behind it, and measures each from the request to the email's arrival.
pub async fn exports(
    options: &Options,
    catalog: &Catalog,
    count: usize,
    workers: usize,
    rate: Option<f64>,
) -> anyhow::Result<String> {
    let smtp = SmtpServer::start().await;
    // Emails go to a fresh server; jobs are matched to requests by id.
    let mut processes = Processes(Vec::new());
    let mut api = process("backbeat-api");
    api.arg("serve");
    with_bench_env(&mut api, options, smtp.port);
    processes.0.push(api.spawn()?);
    for _ in 0..workers {
        let mut worker = process("backbeat-worker");
        with_bench_env(&mut worker, options, smtp.port);
        processes.0.push(worker.spawn()?);
    }
    crate::wait_until_ready(options.port).await?;
    let base = format!("http://127.0.0.1:{}", options.port);
    let client = crate::stack::http();
    let clients = options.concurrency.min(catalog.users as usize);
    let mut tokens = Vec::new();
    for i in 1..=clients {
        let body: serde_json::Value = client
            .post(format!("{base}/authentications"))
            .json(&json!({"username": format!("bench{i}"), "password": PASSWORD}))
            .send()
            .await?
            .json()
            .await?;
        tokens.push(
            body["data"]["accessToken"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    // Warm up: workers connected and consuming.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    let mut ticker = rate.map(|r| tokio::time::interval(Duration::from_secs_f64(1.0 / r)));
    let limit = Arc::new(tokio::sync::Semaphore::new(clients));
    for n in 0..count {
        // Paced: one request per tick, whatever the answers take (open loop). Burst: at most
        // `clients` requests in flight (closed loop).
        if let Some(ticker) = ticker.as_mut() {
            ticker.tick().await;
        }
        let permit = if rate.is_none() {
            Some(Arc::clone(&limit).acquire_owned().await?)
        } else {
            None
        };
        let i = n % clients;
        let (client, base, token, sent) = (
            client.clone(),
            base.clone(),
            tokens[i].clone(),
            Arc::clone(&sent),
        );
        let playlist = Catalog::playlist_id(i as i64 * catalog.playlists_per_user + 1);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let response = client
                .post(format!("{base}/export/playlists/{playlist}"))
                .bearer_auth(&token)
                .json(&json!({"targetEmail": format!("listener{i}@example.com")}))
                .send()
                .await;
            if let Ok(response) = response
                && let Ok(body) = response.json::<serde_json::Value>().await
                && let Some(job) = body["data"]["jobId"].as_str()
            {
                sent.lock().await.insert(job.to_owned(), t);
            }
            drop(permit);
        }));
    }
    for task in tasks {
        task.await?;
    }
    let accepted = started.elapsed();
    let received = smtp.wait_for(count, Duration::from_secs(300)).await;
    let drained = started.elapsed();
    let sent = sent.lock().await;
    let mut latencies: Vec<Duration> = received
        .iter()
        .filter_map(|mail| {
            let text = String::from_utf8_lossy(&mail.data);
            let start = text.find("job-email.")? + "job-email.".len();
            let job: String = text[start..].chars().take_while(|c| *c != '@').collect();
            sent.get(&job).map(|t| mail.received_at.duration_since(*t))
        })
        .collect();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let load = match rate {
        Some(rate) => format!("paced at {rate:.0} requests/s"),
        None => format!("burst: {clients} clients sending back to back"),
    };
    Ok(format!(
        "## Playlist export: request to email received ({load})\n\n\
         - {count} exports, {workers} release workers (prefetch 8 each), release API, SMTP server on loopback\n\
         - all {} accepted (201) in {:.1} s; all emails received after {:.1} s ({:.0} exports/s end to end)\n\n\
         | exports | p50 ms | p99 ms | max ms |\n|---|---|---|---|\n| {} | {:.1} | {:.1} | {:.1} |\n",
        sent.len(),
        accepted.as_secs_f64(),
        drained.as_secs_f64(),
        count as f64 / drained.as_secs_f64(),
        latencies.len(),
        pct(0.50),
        pct(0.99),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    ))
}

/// Fills the outbox with `count` rows and times the relay publishing them (confirmed) to a queue
/// nobody consumes.
pub async fn relay_rate(settings: &Settings, count: i64) -> anyhow::Result<String> {
    let mut settings = settings.clone();
    settings.rabbitmq.prefix = format!("{PREFIX}-relay");
    let url = settings
        .database
        .connection_url()
        .expose_secret()
        .to_owned();
    let mut conn = AsyncPgConnection::establish(&url).await?;
    conn.batch_execute("DELETE FROM outbox WHERE sent_at IS NULL")
        .await?;
    conn.batch_execute(&format!(
        "INSERT INTO jobs (id, kind, payload, max_attempts)
             SELECT 'job-relay' || lpad(i::text, 11, '0'), 'playlist_export', '{{}}', 5 FROM generate_series(1, {count}) i
             ON CONFLICT (id) DO NOTHING;
         INSERT INTO outbox (job_id, kind)
             SELECT 'job-relay' || lpad(i::text, 11, '0'), 'playlist_export' FROM generate_series(1, {count}) i;"
    ))
    .await?;
    let db = backbeat_db::pool::build(&settings.database, "backbeat-loadtest")?;
    let broker = Broker::new(&settings.rabbitmq, "backbeat-loadtest");
    let topology = topology(&settings);
    let relay = Relay::new(db, broker.clone(), &settings);
    // Connects and declares the queues outside the measurement.
    let connection = broker.connection().await?;
    topology.declare(&connection).await?;
    let channel = connection.create_channel().await?;
    let started = Instant::now();
    let published = relay.drain().await?;
    let elapsed = started.elapsed();
    topology.delete_all(&channel).await?;
    conn.batch_execute("DELETE FROM jobs WHERE id LIKE 'job-relay%'")
        .await?;
    broker.close().await;
    Ok(format!(
        "## Outbox relay\n\n- {published} outbox rows published with publisher confirms (batches of {}, pipelined) \
         and marked sent in {:.2} s: **{:.0} messages/s**\n",
        settings.jobs.relay_batch,
        elapsed.as_secs_f64(),
        published as f64 / elapsed.as_secs_f64()
    ))
}

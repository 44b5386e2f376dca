//! Video sync and the cached playlist: a full sync of `medias` medias (pages of 100, then each
//! ready media's stats) from the local Wistia-speaking server with its account limit set to
//! `limit` requests a minute, through the release API and worker; then `GET /videos/playlist`
//! served from Redis beside the same route with Redis unreachable (rendered from PostgreSQL on
//! every request), in one run.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use backbeat_config::Settings;
use backbeat_config::secrecy::ExposeSecret;
use backbeat_testkit::wistia::{FakeWistia, Media, TOKEN};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::Value;

use crate::stack::{Processes, job_id, login, percentile, process, wait_job};
use crate::{DATABASE, Options};

const PREFIX: &str = "benchvideos";

fn command(name: &str, options: &Options, wistia: &FakeWistia, client_limit: u32) -> Command {
    let mut command = process(name);
    command
        .env("APP_DATABASE__NAME", DATABASE)
        .env("APP_RABBITMQ__PREFIX", PREFIX)
        .env("APP_CACHE__PREFIX", format!("{PREFIX}:"))
        .env("APP_SERVER__PORT", options.port.to_string())
        .env("APP_WISTIA__BASE_URL", &wistia.url)
        .env("APP_WISTIA__TOKEN", TOKEN)
        .env("APP_WISTIA__REQUESTS_PER_MINUTE", client_limit.to_string())
        .env("APP_WISTIA__CONCURRENCY", "8")
        .env("APP_WISTIA__PER_PAGE", "100")
        .env("APP_VIDEOS__STATS_PER_SYNC", "1000000")
        // The benchmark asks for its sync; the schedule stays out of the way.
        .env("APP_SCHEDULER__VIDEO_SYNC_SECS", "86400")
        .env("APP_LOG__FILTER", "warn")
        .envs(crate::stack::NO_RATE_LIMITS.iter().copied())
        .stdout(Stdio::null());
    command
}

pub async fn run(
    settings: &Settings,
    options: &Options,
    medias: u32,
    limit: usize,
) -> anyhow::Result<String> {
    backbeat_db::migrations::run(&settings.database, DATABASE).await?;
    let url = settings
        .database
        .connection_url()
        .expose_secret()
        .to_owned();
    let mut conn = AsyncPgConnection::establish(&url).await?;
    conn.batch_execute(
        "TRUNCATE videos, tags, video_tags, video_sync_passes; \
         UPDATE video_sync_state SET job_id = NULL; \
         DELETE FROM schedules WHERE name = 'sync_videos'; \
         UPDATE users SET role = 'admin' WHERE username = 'bench1';",
    )
    .await?;

    let wistia = FakeWistia::start((1..=medias).map(Media::numbered).collect()).await;
    wistia.limit_per_minute(limit);
    // Under the account's limit by 5%: room for a clock that runs a little fast or for another
    // client of the same account.
    let client_limit = u32::try_from(limit * 95 / 100).unwrap_or(u32::MAX);
    let processes = Processes(vec![
        command("backbeat-api", options, &wistia, client_limit)
            .arg("serve")
            .spawn()?,
        command("backbeat-worker", options, &wistia, client_limit).spawn()?,
    ]);
    crate::wait_until_ready(options.port).await?;
    // The worker connected and consuming.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let token = login(options.port, "bench1").await?;

    let started = Instant::now();
    let body: Value = crate::stack::http()
        .patch(format!("http://127.0.0.1:{}/videos/sync", options.port))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let job_id = job_id(&body)?;
    let job = wait_job(options.port, &token, &job_id, Duration::from_secs(1800)).await?;
    let seconds = started.elapsed().as_secs_f64();
    let seen = wistia.seen();
    let result = &job["result"];
    let mut report = format!(
        "## Sync of {medias} medias from the local Wistia server\n\n\
         - server limit {limit} requests/minute (429 with `Retry-After` over it, counted over a rolling minute); \
         client limiter {client_limit}/minute, 8 stats requests in flight; pages of 100, then one stats request per \
         ready media; release API and worker on this machine\n\n\
         | medias listed | added | stats refreshed | requests | 429s received | busiest rolling minute | seconds | requests/s |\n\
         |---|---|---|---|---|---|---|---|\n\
         | {} | {} | {} | {} | **{}** | {} / {limit} | **{seconds:.1}** | {:.1} |\n\n",
        result["listed"],
        result["added"],
        result["statsRefreshed"],
        seen.requests,
        seen.throttled,
        seen.busiest_minute,
        seen.requests as f64 / seconds,
    );
    anyhow::ensure!(
        result["listed"] == u64::from(medias),
        "the sync listed {}",
        result["listed"]
    );

    // The playlist: cached (this API), then with Redis unreachable (a second API on the same
    // database, rendering it on every request).
    let cached = playlist(options, "cached (Redis)").await?;
    drop(processes);
    let uncached = {
        let _api = Processes(vec![
            command("backbeat-api", options, &wistia, client_limit)
                .arg("serve")
                .env("APP_REDIS__URL", "redis://127.0.0.1:1")
                .spawn()?,
        ]);
        crate::wait_until_ready(options.port).await?;
        playlist(
            options,
            "uncached (Redis unreachable: rendered from PostgreSQL)",
        )
        .await?
    };
    report.push_str(&format!(
        "## `GET /videos/playlist`, cached vs uncached (one run)\n\n\
         - {} concurrent connections, {} s each, the 200-video playlist (about {} KiB of JSON)\n\n\
         | run | requests | X-Data-Source | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n{}{}\n\
         cached / uncached throughput: **{:.1}x**\n",
        options.concurrency,
        options.seconds,
        cached.bytes / 1024,
        cached.row,
        uncached.row,
        cached.rate / uncached.rate.max(f64::MIN_POSITIVE)
    ));
    Ok(report)
}

struct Measured {
    row: String,
    rate: f64,
    bytes: usize,
}

async fn playlist(options: &Options, label: &str) -> anyhow::Result<Measured> {
    let url = format!("http://127.0.0.1:{}/videos/playlist", options.port);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency * 2)
        .build()?;
    let first = client.get(&url).send().await?;
    anyhow::ensure!(first.status().is_success(), "playlist: {}", first.status());
    let bytes = first.bytes().await?.len();
    let sources = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let mut tasks = Vec::new();
    for _ in 0..options.concurrency {
        let client = client.clone();
        let url = url.clone();
        let sources = Arc::clone(&sources);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match client.get(&url).send().await {
                    Ok(response) if response.status().is_success() => {
                        let cached = response
                            .headers()
                            .get("x-data-source")
                            .is_some_and(|v| v == "cache");
                        if response.bytes().await.is_ok() {
                            latencies.push(sent.elapsed());
                            sources[usize::from(!cached)].fetch_add(1, Ordering::Relaxed);
                        } else {
                            errors += 1;
                        }
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mut l, e) = task.await?;
        latencies.append(&mut l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let rate = latencies.len() as f64 / elapsed;
    let row = format!(
        "| {label} | {} ({errors} errors) | cache {} / database {} | **{rate:.0}** | {:.2} | {:.2} |\n",
        latencies.len(),
        sources[0].load(Ordering::Relaxed),
        sources[1].load(Ordering::Relaxed),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
    );
    Ok(Measured { row, rate, bytes })
}

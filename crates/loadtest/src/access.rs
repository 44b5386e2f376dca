//! `./dev bench access`: what authentication costs, and login under a flood.
//!
//! 1. `GET /albums/{id}` with an access token, with an API key and with no credentials, in
//!    interleaved rounds against one API (rate limits on, set high enough never to refuse), so
//!    the three are measured side by side on the same machine state.
//! 2. A legitimate user's login latency at rest, then while 200 clients send wrong passwords
//!    (from one address, then each from its own), with `GET /albums/{id}` latency beside it. The
//!    API trusts 127.0.0.1 as its proxy, so each client's `X-Forwarded-For` is its address.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::RngExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::Options;
use crate::seed::Catalog;
use crate::stack::percentile;

const ROUNDS: usize = 3;
const ATTACKERS: usize = 200;
const FLOOD: Duration = Duration::from_secs(10);

/// The API's settings for this benchmark: limits on (high), the local profile's hash.
pub const ENV: &[(&str, &str)] = &[
    ("APP_SERVER__TRUSTED_PROXIES", "127.0.0.1"),
    ("APP_RATE_LIMITS__READS_PER_CALLER__LIMIT", "100000000"),
    ("APP_RATE_LIMITS__WRITES_PER_CALLER__LIMIT", "100000000"),
    ("APP_RATE_LIMITS__LOGIN_PER_ADDRESS__LIMIT", "20"),
    ("APP_RATE_LIMITS__LOGIN_PER_USERNAME__LIMIT", "10"),
    ("APP_RATE_LIMITS__SIGNUP_PER_ADDRESS__LIMIT", "100000"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Credential {
    Token,
    Key,
    Anonymous,
}

impl Credential {
    fn label(self) -> &'static str {
        match self {
            Credential::Token => "access token (JWT)",
            Credential::Key => "API key (`X-Api-Key`)",
            Credential::Anonymous => "no credentials",
        }
    }
}

struct Run {
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

pub async fn run(options: &Options, catalog: &Catalog) -> anyhow::Result<String> {
    let base = format!("http://127.0.0.1:{}", options.port);
    let client = Client::builder()
        .pool_max_idle_per_host(options.concurrency * 2 + ATTACKERS)
        .build()?;
    let token = crate::stack::login(options.port, "bench1").await?;
    anyhow::ensure!(!token.is_empty(), "cannot log in as bench1");
    let created: Value = client
        .post(format!("{base}/api-keys"))
        .bearer_auth(&token)
        .json(&json!({"name": "benchmark", "scopes": ["catalog:read"]}))
        .send()
        .await?
        .json()
        .await?;
    let key = created["data"]["key"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no key: {created}"))?
        .to_owned();

    let segment = Duration::from_secs((options.seconds / ROUNDS as u64).max(3));
    let modes = [Credential::Token, Credential::Key, Credential::Anonymous];
    let mut totals: Vec<Run> = modes
        .iter()
        .map(|_| Run {
            requests: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
        })
        .collect();
    reads(
        &client,
        &base,
        catalog,
        Credential::Token,
        &token,
        &key,
        options.concurrency,
        Duration::from_secs(2),
    )
    .await;
    for _ in 0..ROUNDS {
        for (i, mode) in modes.iter().enumerate() {
            let run = reads(
                &client,
                &base,
                catalog,
                *mode,
                &token,
                &key,
                options.concurrency,
                segment,
            )
            .await;
            totals[i].requests += run.requests;
            totals[i].errors += run.errors;
            totals[i].elapsed += run.elapsed;
            totals[i].latencies.extend(run.latencies);
        }
    }
    let rate = |run: &Run| run.requests as f64 / run.elapsed.as_secs_f64();
    let mut table = String::from(
        "| credential | requests | errors | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|\n",
    );
    for (mode, run) in modes.iter().zip(totals.iter_mut()) {
        run.latencies.sort();
        table.push_str(&format!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} |\n",
            mode.label(),
            run.requests,
            run.errors,
            rate(run),
            percentile(&run.latencies, 0.50),
            percentile(&run.latencies, 0.99)
        ));
    }
    let (jwt, api_key, anonymous) = (rate(&totals[0]), rate(&totals[1]), rate(&totals[2]));
    let auth = format!(
        "## Authentication cost: `GET /albums/{{id}}` (album and its songs)\n\n\
         - {} connections; {ROUNDS} interleaved rounds of {} s per credential\n\
         - rate limits on (one Redis round trip per authenticated request, which also checks \
           the account's suspension and the key's revocation); anonymous reads are not limited by default\n\n\
         {table}\n\
         API key / JWT throughput: **{:.3}** (the key costs {:.1}% {} than the JWT); \
         JWT / anonymous: {:.3}\n\n",
        options.concurrency,
        segment.as_secs(),
        api_key / jwt,
        ((jwt / api_key) - 1.0).abs() * 100.0,
        if api_key < jwt { "more" } else { "less" },
        jwt / anonymous,
    );

    let flood = login_flood(&client, &base, catalog).await?;
    Ok(format!("{auth}{flood}"))
}

#[allow(clippy::too_many_arguments)]
async fn reads(
    client: &Client,
    base: &str,
    catalog: &Catalog,
    mode: Credential,
    token: &str,
    key: &str,
    concurrency: usize,
    duration: Duration,
) -> Run {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let base = base.to_owned();
            let (token, key) = (token.to_owned(), key.to_owned());
            let albums = catalog.albums.min(1000);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                while Instant::now() < deadline {
                    let album = Catalog::album_id(rand::rng().random_range(1..=albums));
                    let mut request = client.get(format!("{base}/albums/{album}"));
                    request = match mode {
                        Credential::Token => request.bearer_auth(&token),
                        Credential::Key => request.header("x-api-key", &key),
                        Credential::Anonymous => request,
                    };
                    let sent = Instant::now();
                    let ok = match request.send().await {
                        Ok(response) => {
                            let ok = response.status() == StatusCode::OK;
                            let _ = response.bytes().await;
                            ok
                        }
                        Err(_) => false,
                    };
                    latencies.push(sent.elapsed());
                    if !ok {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut run = Run {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        if let Ok((latencies, errors)) = task.await {
            run.requests += latencies.len() as u64;
            run.errors += errors;
            run.latencies.extend(latencies);
        }
    }
    run.elapsed = started.elapsed();
    run
}

/// Latencies of a legitimate client's logins and of album reads over one period, with the
/// outcome counts of the logins.
#[derive(Default)]
struct Observed {
    logins: Vec<Duration>,
    login_ok: u64,
    login_busy: u64,
    login_other: u64,
    reads: Vec<Duration>,
}

async fn login_flood(client: &Client, base: &str, catalog: &Catalog) -> anyhow::Result<String> {
    // Legitimate users sign up through the API, so their hashes have the API's parameters.
    let run_tag: u32 = rand::rng().random();
    let legit: Vec<String> = (0..40).map(|i| format!("legit{run_tag:08x}{i}")).collect();
    for name in &legit {
        let response = client
            .post(format!("{base}/users"))
            .header("x-forwarded-for", "198.51.100.1")
            .json(&json!({"username": name, "password": "legit-password-1", "fullname": "Legit"}))
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == StatusCode::CREATED,
            "sign-up: {}",
            response.status()
        );
    }
    let at_rest = observe(client, base, catalog, &legit, FLOOD, None).await;
    let one_address = observe(
        client,
        base,
        catalog,
        &legit,
        FLOOD,
        Some(Spread::OneAddress),
    )
    .await;
    let many_addresses = observe(
        client,
        base,
        catalog,
        &legit,
        FLOOD,
        Some(Spread::OwnAddress),
    )
    .await;

    let mut table = String::from(
        "| while | legit logins | ok | 503 | other | login p50 ms | login p99 ms | album read p50 ms | album read p99 ms | flood: 401 / 429 / 503 |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (label, (mut seen, flood)) in [
        ("at rest", at_rest),
        ("200 clients, one address", one_address),
        ("200 clients, 200 addresses", many_addresses),
    ] {
        seen.logins.sort();
        seen.reads.sort();
        table.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {:.1} | {:.1} | {:.2} | {:.2} | {} |\n",
            seen.logins.len(),
            seen.login_ok,
            seen.login_busy,
            seen.login_other,
            percentile(&seen.logins, 0.50),
            percentile(&seen.logins, 0.99),
            percentile(&seen.reads, 0.50),
            percentile(&seen.reads, 0.99),
            flood.map_or("-".to_owned(), |f| format!(
                "{} / {} / {}",
                f[0], f[1], f[2]
            )),
        ));
    }
    Ok(format!(
        "## Login under a flood of wrong passwords\n\n\
         - the local profile's scrypt (N=2^14), 4 hashing slots, a login waits at most 1 s for one \
           (then 503 with `Retry-After`); login limits 20/min per address and 10/min per username\n\
         - a legitimate client logs in every 200 ms (40 accounts in turn, from their own address), \
           and 4 clients read albums, during {} s each: at rest, then while {ATTACKERS} clients send \
           wrong passwords for unknown usernames as fast as they are answered\n\n\
         {table}\n",
        FLOOD.as_secs()
    ))
}

#[derive(Clone, Copy)]
enum Spread {
    OneAddress,
    OwnAddress,
}

async fn observe(
    client: &Client,
    base: &str,
    catalog: &Catalog,
    legit: &[String],
    duration: Duration,
    flood: Option<Spread>,
) -> (Observed, Option<[u64; 3]>) {
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let attackers: Vec<_> = match flood {
        None => Vec::new(),
        Some(spread) => (0..ATTACKERS)
            .map(|i| {
                let (client, base) = (client.clone(), base.to_owned());
                let (stop, counts) = (stop.clone(), counts.clone());
                let address = match spread {
                    Spread::OneAddress => "203.0.113.7".to_owned(),
                    Spread::OwnAddress => {
                        format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256 + 1)
                    }
                };
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let sent = client
                            .post(format!("{base}/authentications"))
                            .header("x-forwarded-for", &address)
                            .json(
                                &json!({"username": format!("ghost{i}x{n}"), "password": "guess"}),
                            )
                            .send()
                            .await;
                        let slot = match sent.map(|r| r.status()) {
                            Ok(StatusCode::UNAUTHORIZED) => 0,
                            Ok(StatusCode::TOO_MANY_REQUESTS) => 1,
                            Ok(StatusCode::SERVICE_UNAVAILABLE) => 2,
                            _ => continue,
                        };
                        counts[slot].fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect(),
    };
    if flood.is_some() {
        // Let the flood reach its steady state before measuring.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let deadline = Instant::now() + duration;
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (client, base) = (client.clone(), base.to_owned());
            let albums = catalog.albums.min(1000);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let album = Catalog::album_id(rand::rng().random_range(1..=albums));
                    let sent = Instant::now();
                    if let Ok(response) = client.get(format!("{base}/albums/{album}")).send().await
                    {
                        let _ = response.bytes().await;
                    }
                    latencies.push(sent.elapsed());
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                latencies
            })
        })
        .collect();
    let mut seen = Observed::default();
    let mut turn = 0usize;
    while Instant::now() < deadline {
        let name = &legit[turn % legit.len()];
        let address = format!("198.51.100.{}", turn % legit.len() + 10);
        turn += 1;
        let sent = Instant::now();
        let status = client
            .post(format!("{base}/authentications"))
            .header("x-forwarded-for", address)
            .json(&json!({"username": name, "password": "legit-password-1"}))
            .send()
            .await
            .map(|r| r.status());
        seen.logins.push(sent.elapsed());
        match status {
            Ok(StatusCode::CREATED) => seen.login_ok += 1,
            Ok(StatusCode::SERVICE_UNAVAILABLE) => seen.login_busy += 1,
            _ => seen.login_other += 1,
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for reader in readers {
        if let Ok(latencies) = reader.await {
            seen.reads.extend(latencies);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        let _ = attacker.await;
    }
    let flood = flood.map(|_| {
        [
            counts[0].load(Ordering::Relaxed),
            counts[1].load(Ordering::Relaxed),
            counts[2].load(Ordering::Relaxed),
        ]
    });
    // Let the per-address budgets of the next period start afresh.
    tokio::time::sleep(Duration::from_secs(2)).await;
    (seen, flood)
}

//! Login throughput at the production scrypt parameters (N=2^17, r=8, p=1).
//!
//! `./dev bench-login` (or `cargo bench -p backbeat-api --bench login`). Starts the real API
//! (release build) on a database of its own and drives `POST /authentications` over loopback
//! from concurrent clients for a fixed time. Prints, and writes to target/bench/login.txt:
//! the time of one hash, and logins/s with their latency percentiles.

use std::time::{Duration, Instant};

use backbeat_api::Application;
use backbeat_auth::Passwords;
use backbeat_config::ScryptSettings;
use backbeat_domain::account::Password;
use backbeat_testkit::TestDatabase;
use serde_json::json;

const PRODUCTION: ScryptSettings = ScryptSettings {
    log_n: 17,
    r: 8,
    p: 1,
};
const DURATION: Duration = Duration::from_secs(15);
const CONCURRENCY: usize = 4;

#[tokio::main]
async fn main() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    // One hash, alone.
    let passwords = Passwords::new(PRODUCTION, 1).await.expect("params");
    let password = Password::parse("password", "benchmark-password".into()).expect("valid");
    let mut single = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        passwords.hash(&password).await.expect("hash");
        single.push(started.elapsed());
    }
    single.sort();
    let one_hash = single[single.len() / 2];

    // Logins through HTTP.
    let db = TestDatabase::create().await;
    let mut settings = db.settings();
    settings.auth.scrypt = PRODUCTION;
    settings.server.workers = cores;
    let app = Application::build(settings).await.expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let max_concurrent_hashes = app.state().settings.auth.max_concurrent_hashes;
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{base}/users"))
        .json(&json!({"username": "bench", "password": "benchmark-password", "fullname": "Bench"}))
        .send()
        .await
        .expect("register");
    assert_eq!(created.status(), 201);

    let started = Instant::now();
    let clients: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let client = client.clone();
            let url = format!("{base}/authentications");
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < DURATION {
                    let t = Instant::now();
                    let response = client
                        .post(&url)
                        .json(&json!({"username": "bench", "password": "benchmark-password"}))
                        .send()
                        .await
                        .expect("login");
                    assert_eq!(response.status(), 201);
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    for handle in clients {
        latencies.extend(handle.await.expect("client"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];

    let report = format!(
        "login benchmark ({cores} cores, scrypt N=2^{}, r={}, p={}, {CONCURRENCY} concurrent clients, \
         max_concurrent_hashes={max_concurrent_hashes}, {:.0} s)\n\
         one hash (median of 5):  {:.0} ms\n\
         logins:                  {} in {:.1} s = {:.2} logins/s\n\
         login latency:           p50 {:.0} ms, p99 {:.0} ms\n",
        PRODUCTION.log_n,
        PRODUCTION.r,
        PRODUCTION.p,
        DURATION.as_secs_f64(),
        one_hash.as_secs_f64() * 1000.0,
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
    print!("{report}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    std::fs::write(dir.join("login.txt"), report).expect("write report");
}

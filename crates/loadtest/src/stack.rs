//! The release processes a benchmark runs (stopped when dropped), and how it talks to them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::seed::PASSWORD;

/// The benchmarks' one HTTP client. Building a client loads the platform's root certificates,
/// milliseconds of CPU: a helper building one per call (a job polled every 50 ms) competed with
/// the processes under measurement for the same two cores.
pub fn http() -> reqwest::Client {
    static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);
    CLIENT.clone()
}

/// A release binary of this workspace (`./dev bench` builds them).
pub fn binary(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/release")
        .join(name)
}

/// A release binary as a command. A worker starts in a session of its own, as `./dev run` and
/// service managers start it, so that its niceness counts against the API's (`jobs.nice`).
pub fn process(name: &str) -> Command {
    if name == "backbeat-worker" {
        let mut command = Command::new("setsid");
        command.arg(binary(name));
        command
    } else {
        Command::new(binary(name))
    }
}

/// Turns every rate limit off: throughput benchmarks drive one caller from one address far
/// past what production allows (the access benchmark keeps them on, set high).
pub const NO_RATE_LIMITS: &[(&str, &str)] = &[
    ("APP_RATE_LIMITS__LOGIN_PER_ADDRESS__LIMIT", "0"),
    ("APP_RATE_LIMITS__LOGIN_PER_USERNAME__LIMIT", "0"),
    ("APP_RATE_LIMITS__SIGNUP_PER_ADDRESS__LIMIT", "0"),
    ("APP_RATE_LIMITS__WRITES_PER_CALLER__LIMIT", "0"),
    ("APP_RATE_LIMITS__READS_PER_CALLER__LIMIT", "0"),
    ("APP_RATE_LIMITS__ANONYMOUS_READS_PER_ADDRESS__LIMIT", "0"),
];

/// `binary serve` (an API) on `database` and the options' port, without rate limits; `env` is
/// applied last, so a caller's settings win (the access benchmark turns limits back on).
pub fn start_api(
    binary: &Path,
    database: &str,
    options: &crate::Options,
    env: &[(&str, &str)],
) -> anyhow::Result<Child> {
    anyhow::ensure!(
        binary.exists(),
        "{} is missing (./dev bench builds it)",
        binary.display()
    );
    Ok(Command::new(binary)
        .arg("serve")
        .env("APP_DATABASE__NAME", database)
        .env("APP_SERVER__PORT", options.port.to_string())
        .env("APP_LOG__FILTER", "error")
        .envs(NO_RATE_LIMITS.iter().copied())
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .spawn()?)
}

/// Stops a child with SIGTERM and waits for it.
pub fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// A memory figure of `/proc/{pid}/status` (`VmRSS`, `VmHWM`), in MiB.
pub fn memory_mib(pid: u32, field: &str) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no {field} in /proc/{pid}/status"))?;
    Ok(kib / 1024.0)
}

/// Children stopped with SIGTERM (and waited for) on drop.
pub struct Processes(pub Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        // All signalled first, so they stop together.
        for child in &mut self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
}

/// The `p` quantile of sorted latencies, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// An access token for a seeded user (`bench1`...).
pub async fn login(port: u16, username: &str) -> anyhow::Result<String> {
    let body: Value = http()
        .post(format!("http://127.0.0.1:{port}/authentications"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    Ok(body["data"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// The `data.jobId` of a 202 that started a job.
pub fn job_id(body: &Value) -> anyhow::Result<String> {
    body["data"]["jobId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no job: {body}"))
}

pub async fn job(port: u16, token: &str, id: &str) -> anyhow::Result<Value> {
    let body: Value = http()
        .get(format!("http://127.0.0.1:{port}/jobs/{id}"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    Ok(body["data"]["job"].clone())
}

/// Polls the job until it succeeds (an error if it dies or takes over `limit`).
pub async fn wait_job(port: u16, token: &str, id: &str, limit: Duration) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        let job = job(port, token, id).await?;
        if job["status"] == "succeeded" {
            return Ok(job);
        }
        anyhow::ensure!(job["status"] != "dead", "the job died: {job}");
        anyhow::ensure!(started.elapsed() < limit, "the job is still running: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

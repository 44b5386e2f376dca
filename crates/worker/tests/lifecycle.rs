//! The worker process starts against the real services, reports ready, and exits cleanly on
//! SIGTERM and SIGINT.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backbeat_testkit::TestDatabase;

fn wait_for_line(reader: &mut impl BufRead, needle: &str, timeout: Duration) -> Vec<String> {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut line = String::new();
    while started.elapsed() < timeout {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push(line.clone());
        if line.contains(needle) {
            return seen;
        }
    }
    panic!("`{needle}` not logged; saw:\n{}", seen.concat());
}

async fn start_and_stop(signal: &str) {
    let db = TestDatabase::create().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_backbeat-worker"))
        .env("APP_DATABASE__NAME", &db.name)
        .env("APP_LOG__FORMAT", "json")
        .env("APP_LOG__FILTER", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start worker");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    wait_for_line(
        &mut stderr,
        "backbeat-worker ready",
        Duration::from_secs(20),
    );

    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let lines = wait_for_line(
        &mut stderr,
        "backbeat-worker stopped",
        Duration::from_secs(20),
    );
    let exit = child.wait().expect("exit");
    assert!(exit.success(), "worker exited with {exit}");
    // Production logs are JSON lines.
    for line in lines {
        serde_json::from_str::<serde_json::Value>(&line)
            .unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_becomes_ready_and_stops_on_sigterm() {
    start_and_stop("-TERM").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_becomes_ready_and_stops_on_sigint() {
    start_and_stop("-INT").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_with_an_unusable_sftp_key_refuses_to_start_and_says_why() {
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let not_a_key = dir.path().join("sftp_key");
    std::fs::write(&not_a_key, "not a key\n").expect("write");
    for path in [not_a_key, dir.path().join("missing")] {
        let output = Command::new(env!("CARGO_BIN_EXE_backbeat-worker"))
            .env("APP_DATABASE__NAME", &db.name)
            .env("APP_DISTRIBUTION__SFTP_KEY_PATH", &path)
            .env("APP_LOG__FORMAT", "json")
            .output()
            .expect("run worker");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("distribution.sftp_key_path")
                && stderr.contains(&path.display().to_string()),
            "{stderr}"
        );
    }
}

//! The worker's endpoint: readiness that follows the consumer, and job metrics.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

fn endpoint_address(worker: &Worker) -> String {
    worker
        .logs()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["message"] == "worker endpoint listening")
        .and_then(|line| line["address"].as_str().map(str::to_owned))
        .expect("the worker logs its endpoint's address")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_reports_readiness_and_job_metrics() {
    let stack = Stack::new(|_| {}).await;
    let worker = stack.spawn_worker();
    worker.wait_for_log("consuming jobs", Duration::from_secs(30));
    let address = endpoint_address(&worker);
    let client = reqwest::Client::new();
    let live = client
        .get(format!("{address}/health/live"))
        .send()
        .await
        .expect("live");
    assert_eq!(live.status(), 200);
    let ready = client
        .get(format!("{address}/health/ready"))
        .send()
        .await
        .expect("ready");
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["data"]["checks"]["consumer"], "ok");
    // The container health check probes the same endpoint.
    let port = address.rsplit(':').next().expect("port").to_owned();
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_backbeat-worker"))
        .args(["healthcheck", "--ready"])
        .env("APP_WORKER__HTTP_PORT", &port)
        .env("APP_LOG__FILTER", "warn")
        .output()
        .expect("healthcheck runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("measured").await;
    let job = api.export(&token, &playlist, "measured@example.com").await;
    api.wait_job(&token, &job, Duration::from_secs(30)).await;
    let metrics = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"jobs_processed_total{kind="playlist_export",outcome="succeeded"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("consumer_connected 1"), "{metrics}");
    assert!(metrics.contains("job_duration_seconds_bucket"), "{metrics}");
}

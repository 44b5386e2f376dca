//! Retries that cannot be lost: the jobs table schedules them, and the sweeper brings back any
//! pending job whose message the broker no longer has, whatever became of it.

use std::time::{Duration, Instant};

use backbeat_db::jobs;
use backbeat_domain::ids::JobId;
use backbeat_domain::jobs::JobStatus;
use backbeat_queue::Broker;
use backbeat_services::jobs::JobKind;
use backbeat_testkit::smtp::Behaviour;
use lapin::options::QueuePurgeOptions;
use serde_json::Value;

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(30);

/// Short leases and a frequent sweeper, so that a test outlives them many times over.
fn short_lived(settings: &mut backbeat_config::Settings) {
    settings.jobs.lease_secs = 1;
    settings.jobs.stalled_after_secs = 2;
    settings.scheduler.stalled_jobs_secs = 1;
}

/// Polls `GET /jobs/{id}` until the job is in `status`.
async fn wait_status(api: &Api, token: &str, job: &str, status: &str) -> Value {
    let started = Instant::now();
    loop {
        let (_, body, _) = api
            .call(
                reqwest::Method::GET,
                &format!("/jobs/{job}"),
                None,
                Some(token),
            )
            .await;
        let seen = body["data"]["job"].clone();
        if seen["status"] == status {
            return seen;
        }
        assert!(started.elapsed() < WAIT, "job never {status}: {seen}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Empties the export queue behind the workers' back, as a broker losing its messages would.
async fn purge_exports(stack: &Stack) -> u32 {
    let broker = Broker::new(&stack.settings.rabbitmq, "test-purge");
    let connection = broker.connection().await.expect("broker");
    let channel = connection.create_channel().await.expect("channel");
    let queue = stack
        .queues
        .topology()
        .queue(JobKind::PlaylistExport.as_str());
    let purged = channel
        .queue_purge(queue.as_str().into(), QueuePurgeOptions::default())
        .await
        .expect("purge");
    broker.close().await;
    purged
}

/// Waits until the relay has handed every due outbox row to the broker.
async fn wait_published(stack: &Stack) {
    let mut conn = stack.db.connect().await;
    let started = Instant::now();
    while backbeat_db::outbox::pending_count(&mut conn)
        .await
        .expect("count")
        > 0
    {
        assert!(started.elapsed() < WAIT, "the outbox was never relayed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_up_longer_than_every_lease_still_retries_after_the_back_off() {
    let back_off = Duration::from_millis(2_000);
    let stack = Stack::new(|s| {
        short_lived(s);
        s.jobs.retry_base_ms = 2_000;
        // Only the scheduled wake can bring the retry in time: nothing polls.
        s.jobs.relay_interval_ms = 600_000;
    })
    .await;
    let api = stack.api().await;
    let (token, playlist, songs) = api.listener_with_playlist("listener").await;
    let worker = stack.spawn_worker();
    // Idle for several times every lease, expiry and sweep period configured here.
    tokio::time::sleep(Duration::from_secs(6)).await;

    stack.smtp.set_behaviour(Behaviour::RejectTemporarily);
    let job = api.export(&token, &playlist, "listener@example.com").await;
    stack.smtp.wait_for_data(1, WAIT).await;
    let failed_at = Instant::now();
    stack.smtp.set_behaviour(Behaviour::Accept);

    let retrying = wait_status(&api, &token, &job, "retrying").await;
    assert_eq!(retrying["attempts"], 1, "{retrying}");
    assert_eq!(retrying["maxAttempts"], 3, "{retrying}");
    assert!(retrying["nextAttemptAt"].is_string(), "{retrying}");
    assert!(
        retrying["error"]
            .as_str()
            .is_some_and(|e| e.contains("451")),
        "{retrying}"
    );
    assert!(retrying["finishedAt"].is_null(), "{retrying}");

    let mail = stack.smtp.wait_for(1, WAIT).await;
    let waited = failed_at.elapsed();
    assert!(
        waited >= back_off - Duration::from_millis(200),
        "retried after {waited:?}, before its back-off"
    );
    assert_eq!(
        playlist_attachment(&mail[0].data)["playlist"]["songs"]
            .as_array()
            .map(Vec::len),
        Some(songs.len())
    );
    let done = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    assert!(done["nextAttemptAt"].is_null(), "{done}");
    assert!(
        !worker.logs().iter().any(|l| l.contains("NO_ROUTE")),
        "{:#?}",
        worker.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_message_was_purged_still_completes() {
    let stack = Stack::new(short_lived).await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    // No worker yet: the API's relay publishes the message, which then vanishes.
    let job = api.export(&token, &playlist, "listener@example.com").await;
    wait_published(&stack).await;
    assert_eq!(purge_exports(&stack).await, 1);

    let worker = stack.spawn_worker();
    let done = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 1);
    assert_eq!(stack.smtp.received().len(), 1);
    worker.wait_for_log("no message could bring this job back", WAIT);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_whose_message_was_purged_still_runs() {
    let stack = Stack::new(|s| {
        short_lived(s);
        // Room for the first worker to stop before the retry is due.
        s.jobs.retry_base_ms = 2_000;
    })
    .await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    stack.smtp.set_behaviour(Behaviour::RejectTemporarily);
    let mut first = stack.spawn_worker();
    let job = api.export(&token, &playlist, "listener@example.com").await;
    wait_status(&api, &token, &job, "retrying").await;
    first.signal("-TERM");
    first.wait_exit(WAIT);

    // The API's relay publishes the retry when it is due; the broker then loses it.
    let mut conn = stack.db.connect().await;
    let started = Instant::now();
    loop {
        wait_published(&stack).await;
        if purge_exports(&stack).await == 1 {
            break;
        }
        assert!(started.elapsed() < WAIT, "the retry was never published");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = jobs::find(&mut conn, &JobId::from(job.as_str()))
        .await
        .expect("find")
        .expect("job");
    assert_eq!(row.status, JobStatus::Retrying);

    stack.smtp.set_behaviour(Behaviour::Accept);
    let _second = stack.spawn_worker();
    let done = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2);
    assert_eq!(stack.smtp.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_job_holds_no_delivery_and_outlives_its_worker() {
    let stack = Stack::new(short_lived).await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    stack.smtp.set_behaviour(Behaviour::Stall);
    let mut first = stack.spawn_worker();
    let job = api.export(&token, &playlist, "listener@example.com").await;
    stack.smtp.wait_for_data(1, WAIT).await;
    // The message was acknowledged when the attempt started: nothing comes back to the queue
    // when the worker dies (and no delivery is held open while a long job runs, so RabbitMQ's
    // consumer_timeout cannot close the channel under it).
    first.signal("-KILL");
    first.wait_exit(WAIT);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(purge_exports(&stack).await, 0, "a message came back");
    let mut conn = stack.db.connect().await;
    let row = jobs::find(&mut conn, &JobId::from(job.as_str()))
        .await
        .expect("find")
        .expect("job");
    assert_eq!(
        row.status,
        JobStatus::Running,
        "left running by the dead worker"
    );

    // Its heartbeat goes stale, and another worker takes it over.
    stack.smtp.set_behaviour(Behaviour::Accept);
    let second = stack.spawn_worker();
    let done = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    assert_eq!(stack.smtp.received().len(), 1);
    second.wait_for_log("no message could bring this job back", WAIT);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_that_keeps_losing_its_worker_dies_after_its_last_attempt() {
    let stack = Stack::new(|s| {
        short_lived(s);
        s.jobs.max_attempts = 2;
    })
    .await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    stack.smtp.set_behaviour(Behaviour::Stall);
    let job = api.export(&token, &playlist, "listener@example.com").await;
    for seen in 1..=2 {
        let mut worker = stack.spawn_worker();
        stack.smtp.wait_for_data(seen, WAIT).await;
        worker.signal("-KILL");
        worker.wait_exit(WAIT);
    }
    // The next worker finds the last attempt's worker gone: nothing left to try.
    let _worker = stack.spawn_worker();
    let dead = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(dead["status"], "dead", "{dead}");
    assert_eq!(dead["attempts"], 2, "{dead}");
    assert!(
        dead["error"]
            .as_str()
            .is_some_and(|e| e.contains("the worker running the last one stopped")),
        "{dead}"
    );
    assert_eq!(stack.smtp.data_seen(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_cut_off_by_the_shutdown_grace_is_handed_back_at_once() {
    let stack = Stack::new(|s| {
        s.jobs.shutdown_grace_secs = 1;
        // Far longer than the test: only the hand-back can bring the job to the next worker.
        s.jobs.lease_secs = 600;
    })
    .await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    stack.smtp.set_behaviour(Behaviour::Stall);
    let mut first = stack.spawn_worker();
    let job = api.export(&token, &playlist, "listener@example.com").await;
    stack.smtp.wait_for_data(1, WAIT).await;
    first.signal("-TERM");
    assert!(first.wait_exit(WAIT).success());
    assert!(
        first
            .logs()
            .iter()
            .any(|l| l.contains("handing the unfinished jobs back")),
        "{:#?}",
        first.logs()
    );
    let mut conn = stack.db.connect().await;
    let row = jobs::find(&mut conn, &JobId::from(job.as_str()))
        .await
        .expect("find")
        .expect("job");
    assert_eq!(row.status, JobStatus::Queued);

    stack.smtp.set_behaviour(Behaviour::Accept);
    let _second = stack.spawn_worker();
    let done = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    assert_eq!(stack.smtp.received().len(), 1);
}

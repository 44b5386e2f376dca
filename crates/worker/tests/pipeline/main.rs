//! The job pipeline end to end: the real API, the real `backbeat-worker` process, RabbitMQ,
//! PostgreSQL, and an SMTP server on loopback that receives the mail.

mod bulk;
mod choreography;
mod distribution;
mod drill;
mod endpoint;
mod helpers;
mod no_shared_disk;
mod ownership;
mod priority;
mod retries;
mod royalties;
mod scheduler;
mod sftp;
mod topology;
mod traces;
mod usage;
mod verification;
mod videos;

use std::time::Duration;

use std::sync::Arc;

use backbeat_db::jobs::{self, NewJob};
use backbeat_db::outbox;
use backbeat_domain::ids::JobId;
use backbeat_domain::jobs::JobStatus;
use backbeat_queue::Broker;
use backbeat_queue::publish::{confirm_channel, publish};
use backbeat_services::Context;
use backbeat_services::jobs::{JobKind, JobRun};
use backbeat_testkit::smtp::Behaviour;
use lapin::BasicProperties;
use lapin::options::BasicGetOptions;
use serde_json::json;

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(30);

fn expected_document(playlist: &str, songs: &[(String, String, String)]) -> serde_json::Value {
    json!({"playlist": {
        "id": playlist,
        "name": "Road <trip> & more",
        "songs": songs.iter().map(|(id, title, performer)| json!({"id": id, "title": title, "performer": performer})).collect::<Vec<_>>(),
    }})
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_emails_the_playlist_as_json() {
    let stack = Stack::new(|_| {}).await;
    let api = stack.api().await;
    let worker = stack.spawn_worker();
    let (token, playlist, songs) = api.listener_with_playlist("listener").await;

    let job = api.export(&token, &playlist, "listener@example.com").await;
    let mail = stack.smtp.wait_for(1, WAIT).await;
    assert_eq!(mail[0].to, ["listener@example.com"]);
    assert_eq!(
        playlist_attachment(&mail[0].data),
        expected_document(&playlist, &songs)
    );

    let message = mail_parser::MessageParser::default()
        .parse(&mail[0].data)
        .expect("parse");
    assert!(
        message
            .subject()
            .is_some_and(|s| s.contains("Road <trip> & more"))
    );
    assert!(message.body_text(0).is_some_and(|t| t.contains("2 songs")));
    assert!(
        message
            .body_html(0)
            .is_some_and(|h| h.contains("Road &lt;trip&gt; &amp; more"))
    );
    let message_id = message.message_id().expect("Message-ID").to_owned();
    assert!(message_id.contains(&job), "{message_id}");

    let finished = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(finished["status"], "succeeded");
    assert_eq!(finished["kind"], "playlist_export");
    assert_eq!(finished["attempts"], 1);
    assert_eq!(finished["progress"], json!({"done": 1, "total": 1}));
    assert_eq!(finished["result"]["recipient"], "listener@example.com");
    assert_eq!(finished["result"]["songs"], 2);
    assert!(finished["error"].is_null());
    for field in ["createdAt", "startedAt", "finishedAt"] {
        assert!(finished[field].is_string(), "{field}: {finished}");
    }
    // The request id travels with the job into the worker's logs.
    worker.wait_for_log("job succeeded", WAIT);
    assert!(
        worker
            .logs()
            .iter()
            .any(|l| l.contains("job succeeded") && l.contains("test-request-0001")),
        "{:#?}",
        worker.logs()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn export_checks_ownership_and_input() {
    let stack = Stack::new(|_| {}).await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("owner").await;
    let (stranger, _, _) = api.listener_with_playlist("stranger").await;
    let post = reqwest::Method::POST;
    let path = format!("/export/playlists/{playlist}");
    let (status, body, _) = api
        .call(
            post.clone(),
            &path,
            Some(json!({"targetEmail": "a@b.co"})),
            Some(&stranger),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["code"].as_str()),
        (403, Some("FORBIDDEN"))
    );
    let (status, _, _) = api
        .call(
            post.clone(),
            "/export/playlists/playlist-unknown00000000",
            Some(json!({"targetEmail": "a@b.co"})),
            Some(&token),
        )
        .await;
    assert_eq!(status.as_u16(), 404);
    for bad in [
        json!({}),
        json!({"targetEmail": "not-an-email"}),
        json!({"targetEmail": 42}),
    ] {
        let (status, body, _) = api.call(post.clone(), &path, Some(bad), Some(&token)).await;
        assert_eq!(status.as_u16(), 400, "{body}");
        assert_eq!(body["details"][0]["field"], "targetEmail");
    }
    let (status, _, _) = api
        .call(
            post.clone(),
            &path,
            Some(json!({"targetEmail": "a@b.co"})),
            None,
        )
        .await;
    assert_eq!(status.as_u16(), 401);
    // Someone else's job is invisible.
    let job = api.export(&token, &playlist, "a@b.co").await;
    let (status, _, _) = api
        .call(
            reqwest::Method::GET,
            &format!("/jobs/{job}"),
            None,
            Some(&stranger),
        )
        .await;
    assert_eq!(status.as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_survive_a_broker_outage() {
    let stack = Stack::new(|_| {}).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    // The API cannot reach RabbitMQ at all.
    let api = stack
        .api_with(|s| s.rabbitmq.url = format!("amqp://guest:guest@127.0.0.1:{closed}/%2f").into())
        .await;
    let (token, playlist, songs) = api.listener_with_playlist("listener").await;
    let job = api.export(&token, &playlist, "listener@example.com").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut conn = stack.db.connect().await;
    assert_eq!(
        outbox::pending_count(&mut conn).await.expect("count"),
        1,
        "the message waits in the outbox"
    );
    assert_eq!(
        jobs::find(&mut conn, &JobId::from(job.as_str()))
            .await
            .expect("find")
            .expect("job")
            .status,
        JobStatus::Queued
    );

    // A process that can reach the broker (the worker runs a relay too) publishes it.
    let _worker = stack.spawn_worker();
    let mail = stack.smtp.wait_for(1, WAIT).await;
    assert_eq!(
        playlist_attachment(&mail[0].data),
        expected_document(&playlist, &songs)
    );
    assert_eq!(
        api.wait_job(&token, &job, WAIT).await["status"],
        "succeeded"
    );
    assert_eq!(outbox::pending_count(&mut conn).await.expect("count"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_job_leaves_it_to_another_and_one_email_is_sent() {
    let stack = Stack::new(|_| {}).await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    stack.smtp.set_behaviour(Behaviour::Stall);
    let mut first = stack.spawn_worker();
    let job = api.export(&token, &playlist, "listener@example.com").await;
    // The first worker is inside the job, waiting on the mail server.
    stack.smtp.wait_for_data(1, WAIT).await;
    first.signal("-KILL");
    first.wait_exit(WAIT);

    stack.smtp.set_behaviour(Behaviour::Accept);
    let second = stack.spawn_worker();
    let finished = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(finished["status"], "succeeded");
    assert_eq!(finished["attempts"], 2, "redelivered once");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(stack.smtp.received().len(), 1, "exactly one email");
    drop(second);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_job_in_hand_before_exiting() {
    let stack = Stack::new(|_| {}).await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    stack
        .smtp
        .set_behaviour(Behaviour::Delay(Duration::from_secs(2)));
    let mut worker = stack.spawn_worker();
    let job = api.export(&token, &playlist, "listener@example.com").await;
    stack.smtp.wait_for_data(1, WAIT).await;
    worker.signal("-TERM");
    let status = worker.wait_exit(WAIT);
    assert!(status.success(), "{status}");
    assert_eq!(stack.smtp.received().len(), 1);
    let mut conn = stack.db.connect().await;
    assert_eq!(
        jobs::find(&mut conn, &JobId::from(job.as_str()))
            .await
            .expect("find")
            .expect("job")
            .status,
        JobStatus::Succeeded
    );
    assert!(
        worker
            .logs()
            .iter()
            .any(|l| l.contains("finishing in-flight jobs"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn temporary_failures_are_retried_then_dead_and_replay_completes_the_job() {
    let stack = Stack::new(|s| s.jobs.max_attempts = 3).await;
    let api = stack.api().await;
    let (token, playlist, songs) = api.listener_with_playlist("listener").await;
    stack.smtp.set_behaviour(Behaviour::RejectTemporarily);
    let _worker = stack.spawn_worker();
    let job = api.export(&token, &playlist, "listener@example.com").await;
    let dead = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(dead["status"], "dead");
    assert_eq!(dead["attempts"], 3);
    assert!(
        dead["error"]
            .as_str()
            .is_some_and(|e| e.contains("gave up after 3 attempts") && e.contains("451")),
        "{dead}"
    );
    assert_eq!(
        stack.smtp.data_seen(),
        3,
        "three attempts reached the mail server"
    );

    // The message waits in the dead-letter queue, and the operator command lists the job.
    let topology = stack.queues.topology();
    let dead_queue = topology.dead_queue(JobKind::PlaylistExport.as_str());
    assert_eq!(queue_depth(&stack, &dead_queue).await, 1);
    let listed = stack.worker_cli(&["dead", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&job));

    stack.smtp.set_behaviour(Behaviour::Accept);
    let replayed = stack.worker_cli(&["dead", "replay", &job]);
    assert!(String::from_utf8_lossy(&replayed.stdout).contains("replayed 1"));
    let mail = stack.smtp.wait_for(1, WAIT).await;
    assert_eq!(
        playlist_attachment(&mail[0].data),
        expected_document(&playlist, &songs)
    );
    let done = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["attempts"], 1, "a replay starts with fresh attempts");
    assert_eq!(
        queue_depth(&stack, &dead_queue).await,
        0,
        "the stale dead letter is gone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn poison_messages_and_bad_payloads_are_dead_lettered_at_once() {
    let stack = Stack::new(|_| {}).await;
    let _worker = stack.spawn_worker();
    let topology = stack.queues.topology();
    let broker = Broker::new(&stack.settings.rabbitmq, "test");
    let channel = confirm_channel(&broker.connection().await.expect("broker"))
        .await
        .expect("channel");

    // Not JSON at all, and a job id nobody knows.
    let queue = topology.queue(JobKind::PlaylistExport.as_str());
    publish(
        &channel,
        "",
        &queue,
        b"\xff not json",
        BasicProperties::default(),
    )
    .await
    .expect("publish");
    publish(
        &channel,
        "",
        &queue,
        br#"{"jobId":"job-nobodyknowsme00"}"#,
        BasicProperties::default(),
    )
    .await
    .expect("publish");
    // A real job whose payload its handler cannot read.
    let mut conn = stack.db.connect().await;
    let bad = JobId::from("job-badpayload00000");
    jobs::insert(
        &mut conn,
        NewJob {
            id: &bad,
            kind: "playlist_export",
            payload: json!({"nope": 1}),
            max_attempts: 3,
            user_id: None,
            request_id: None,
            trace_parent: None,
        },
    )
    .await
    .expect("enqueue");

    let dead_queue = topology.dead_queue(JobKind::PlaylistExport.as_str());
    let started = std::time::Instant::now();
    while queue_depth(&stack, &dead_queue).await < 3 {
        assert!(
            started.elapsed() < WAIT,
            "dead-letter queue holds {}",
            queue_depth(&stack, &dead_queue).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let job = jobs::find(&mut conn, &bad)
        .await
        .expect("find")
        .expect("job");
    assert_eq!(job.status, JobStatus::Dead);
    assert_eq!(job.attempts, 1, "a permanent failure is not retried");
    assert!(
        job.last_error
            .as_deref()
            .is_some_and(|e| e.contains("bad payload"))
    );
    let message = channel
        .basic_get(dead_queue.as_str().into(), BasicGetOptions { no_ack: true })
        .await
        .expect("get")
        .expect("a dead letter");
    let headers = message
        .delivery
        .properties
        .headers()
        .clone()
        .expect("headers");
    assert!(headers.inner().contains_key("x-error"));
    // The worker is still consuming.
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    let job = api.export(&token, &playlist, "listener@example.com").await;
    assert_eq!(
        api.wait_job(&token, &job, WAIT).await["status"],
        "succeeded"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivered_finished_job_is_skipped() {
    let stack = Stack::new(|_| {}).await;
    let api = stack.api().await;
    let worker = stack.spawn_worker();
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    let job = api.export(&token, &playlist, "listener@example.com").await;
    assert_eq!(
        api.wait_job(&token, &job, WAIT).await["status"],
        "succeeded"
    );

    // The same message again, as after a lost acknowledgement.
    publish_raw(
        &stack,
        &serde_json::to_vec(&json!({"jobId": job})).expect("json"),
    )
    .await;
    worker.wait_for_log("job already finished", WAIT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stack.smtp.received().len(), 1);
    let finished = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(finished["attempts"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_export_handler_runs_without_a_broker() {
    // A plain function of (context, job): the file transport writes the .eml to a folder.
    let stack = Stack::new(|_| {}).await;
    let api = stack
        .api_with(|s| s.rabbitmq.url = "amqp://guest:guest@127.0.0.1:1/%2f".to_owned().into())
        .await;
    let (token, playlist, songs) = api.listener_with_playlist("listener").await;
    let job_id = api.export(&token, &playlist, "listener@example.com").await;
    let outbox_dir = tempfile::tempdir().expect("tempdir");
    let mut settings = stack.settings.clone();
    settings.smtp.host = String::new();
    settings.mail.outbox_dir = outbox_dir.path().display().to_string();
    let ctx = Arc::new(Context::build(settings, "test").await.expect("context"));
    let mut conn = stack.db.connect().await;
    let lease = Duration::from_secs(60);
    let job = jobs::start_attempt(&mut conn, &JobId::from(job_id.as_str()), lease)
        .await
        .expect("start")
        .expect("job");
    let kind = JobKind::parse(&job.kind).expect("a registered kind");
    let run = || {
        kind.run(
            Arc::clone(&ctx),
            JobRun::from_row(&job),
            job.payload.clone(),
        )
    };
    let result = run().await.expect("handler succeeds");
    assert_eq!(result["songs"], 2);
    let files: Vec<_> = std::fs::read_dir(outbox_dir.path())
        .expect("dir")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read(files[0].path()).expect("eml");
    assert_eq!(
        playlist_attachment(&raw),
        expected_document(&playlist, &songs)
    );
    // Run again (a redelivery): the idempotency key prevents a second email.
    run().await.expect("handler succeeds");
    assert_eq!(
        std::fs::read_dir(outbox_dir.path()).expect("dir").count(),
        1
    );
    let recorded = backbeat_db::sent_emails::find(&mut conn, &format!("job-email.{job_id}"))
        .await
        .expect("query");
    assert!(recorded.is_some_and(|id| id.contains(&job_id)));
}

async fn queue_depth(stack: &Stack, queue: &str) -> u32 {
    let broker = Broker::new(&stack.settings.rabbitmq, "test-depth");
    let connection = broker.connection().await.expect("broker");
    let channel = connection.create_channel().await.expect("channel");
    let depth = channel
        .queue_declare(
            queue.into(),
            lapin::options::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            lapin::types::FieldTable::default(),
        )
        .await
        .expect("queue exists")
        .message_count();
    broker.close().await;
    depth
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_message_does_not_run_a_job_twice_at_once() {
    let stack = Stack::new(|_| {}).await;
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    stack
        .smtp
        .set_behaviour(Behaviour::Delay(Duration::from_secs(2)));
    let worker = stack.spawn_worker();
    let job = api.export(&token, &playlist, "listener@example.com").await;
    stack.smtp.wait_for_data(1, WAIT).await;

    // While the job runs, the same message arrives again (a relay that published twice).
    publish_raw(
        &stack,
        &serde_json::to_vec(&json!({"jobId": job})).expect("json"),
    )
    .await;
    worker.wait_for_log("job already running elsewhere", WAIT);
    let finished = api.wait_job(&token, &job, WAIT).await;
    assert_eq!(finished["status"], "succeeded");
    assert_eq!(finished["attempts"], 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stack.smtp.received().len(), 1);
    assert_eq!(stack.smtp.data_seen(), 1, "the mail server saw one attempt");
}

/// Puts a raw message on the export queue, as a broker would redeliver or a relay duplicate it.
async fn publish_raw(stack: &Stack, body: &[u8]) {
    let topology = stack.queues.topology();
    let broker = Broker::new(&stack.settings.rabbitmq, "test");
    let channel = confirm_channel(&broker.connection().await.expect("broker"))
        .await
        .expect("channel");
    publish(
        &channel,
        "",
        &topology.queue(JobKind::PlaylistExport.as_str()),
        body,
        BasicProperties::default(),
    )
    .await
    .expect("publish");
    broker.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_commit_wakes_the_relays_without_waiting_for_their_poll() {
    // Relays poll every ten minutes here: only the NOTIFY delivered at commit can wake them.
    let stack = Stack::new(|s| s.jobs.relay_interval_ms = 600_000).await;
    let api = stack.api().await;
    let _worker = stack.spawn_worker();
    let (token, playlist, _) = api.listener_with_playlist("listener").await;
    for _ in 0..3 {
        let job = api.export(&token, &playlist, "listener@example.com").await;
        let finished = api.wait_job(&token, &job, Duration::from_secs(10)).await;
        assert_eq!(finished["status"], "succeeded");
    }
    assert_eq!(stack.smtp.received().len(), 3);
}

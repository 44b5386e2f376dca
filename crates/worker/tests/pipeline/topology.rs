//! The queue topology across restarts with changed settings: nothing RabbitMQ fixes at
//! declaration makes a process fail to start.

use std::time::{Duration, Instant};

use backbeat_queue::Broker;
use backbeat_services::jobs::{self, JobKind};
use lapin::BasicProperties;
use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use lapin::types::FieldTable;

use crate::helpers::*;

async fn depth(connection: &lapin::Connection, queue: &str) -> u32 {
    let channel = connection.create_channel().await.expect("channel");
    let depth = channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("queue exists")
        .message_count();
    let _ = channel.close(200, "done".into()).await;
    depth
}

#[tokio::test(flavor = "multi_thread")]
async fn changed_retry_delays_and_expiry_redeclare_and_old_retry_queues_still_deliver() {
    let mut stack = Stack::new(|s| s.jobs.retry_base_ms = 300).await;
    let broker = Broker::new(&stack.settings.rabbitmq, "test-topology");
    let connection = broker.connection().await.expect("broker");
    let first = jobs::topology(&stack.settings);
    first.declare(&connection).await.expect("first declaration");

    // A message waiting in a retry queue of the first settings.
    let kind = JobKind::PlaylistExport.as_str();
    let old_retry = first.retry_queue(kind, 1);
    let channel = connection.create_channel().await.expect("channel");
    channel
        .basic_publish(
            "".into(),
            old_retry.as_str().into(),
            BasicPublishOptions::default(),
            br#"{"jobId":"job-waiting"}"#,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .expect("publish")
        .await
        .expect("confirmed");

    // A restart with other settings: another back-off and another queue expiry.
    stack.settings.jobs.retry_base_ms = 700;
    stack.settings.rabbitmq.queue_expires_ms = Some(20 * 60 * 1000);
    let second = jobs::topology(&stack.settings);
    assert_ne!(second.retry_queue(kind, 1), old_retry);
    second
        .declare(&connection)
        .await
        .expect("declaring with changed settings succeeds");

    // The old retry queue still hands its message back to the work queue.
    let work = second.queue(kind);
    let started = Instant::now();
    while depth(&connection, &work).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the delayed message never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A worker process starts on the changed settings and becomes ready.
    let worker = stack.spawn_worker();
    worker.wait_for_log("backbeat-worker ready", Duration::from_secs(30));
    let logs = worker.logs().join("\n");
    assert!(!logs.contains("PRECONDITION_FAILED"), "{logs}");
    broker.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_work_queue_declared_classic_by_an_earlier_version_is_used_as_it_is() {
    let stack = Stack::new(|_| {}).await;
    let broker = Broker::new(&stack.settings.rabbitmq, "test-topology");
    let connection = broker.connection().await.expect("broker");
    let topology = jobs::topology(&stack.settings);
    let kind = JobKind::PlaylistExport.as_str();
    let channel = connection.create_channel().await.expect("channel");
    channel
        .queue_declare(
            topology.queue(kind).as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("classic queue");
    topology
        .declare(&connection)
        .await
        .expect("the quorum declaration gives way to the existing queue");
    // Jobs still flow through it: the whole pipeline with a worker.
    let worker = stack.spawn_worker();
    worker.wait_for_log("backbeat-worker ready", Duration::from_secs(30));
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("classic").await;
    let job = api.export(&token, &playlist, "classic@example.com").await;
    api.wait_job(&token, &job, Duration::from_secs(30)).await;
    broker.close().await;
}

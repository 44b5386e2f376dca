//! The queue topology across restarts with changed settings: nothing RabbitMQ fixes at
//! declaration makes a process fail to start.

use std::time::{Duration, Instant};

use backbeat_queue::Broker;
use backbeat_services::jobs::{self, JobKind};
use lapin::BasicProperties;
use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};

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
async fn an_upgrade_with_changed_expiry_redeclares_and_old_delay_queues_still_deliver() {
    let mut stack = Stack::new(|_| {}).await;
    let broker = Broker::new(&stack.settings.rabbitmq, "test-topology");
    let connection = broker.connection().await.expect("broker");
    let first = jobs::topology(&stack.settings);
    first.declare(&connection).await.expect("first declaration");

    // A delay queue as earlier versions declared them, with a retry waiting in it.
    let kind = JobKind::PlaylistExport.as_str();
    let old_retry = format!("{}.{kind}.retry.300ms", stack.queues.prefix);
    let channel = connection.create_channel().await.expect("channel");
    let mut arguments = FieldTable::default();
    arguments.insert("x-message-ttl".into(), AMQPValue::LongLongInt(300));
    arguments.insert("x-expires".into(), AMQPValue::LongLongInt(60_600));
    arguments.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(first.exchange().as_str().into()),
    );
    arguments.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(kind.into()),
    );
    channel
        .queue_declare(
            old_retry.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            arguments,
        )
        .await
        .expect("old delay queue");
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

    // A restart with other settings: another queue expiry. No delay queue is declared any more.
    stack.settings.rabbitmq.queue_expires_ms = Some(20 * 60 * 1000);
    let second = jobs::topology(&stack.settings);
    assert!(second.queues().iter().all(|q| !q.contains(".retry.")));
    second
        .declare(&connection)
        .await
        .expect("declaring with changed settings succeeds");

    // The old delay queue still hands its message back to the work queue.
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
    let _ = channel
        .queue_delete(old_retry.as_str().into(), Default::default())
        .await;
    broker.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_classic_work_queue_of_an_earlier_version_becomes_quorum_with_its_messages() {
    let stack = Stack::new(|_| {}).await;
    let broker = Broker::new(&stack.settings.rabbitmq, "test-topology");
    let connection = broker.connection().await.expect("broker");
    let topology = jobs::topology(&stack.settings);
    let kind = JobKind::PlaylistExport.as_str();
    let queue = topology.queue(kind);
    // What an earlier version left: a classic queue, bound, with messages waiting.
    let channel = connection.create_channel().await.expect("channel");
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .exchange_declare(
            topology.exchange().as_str().into(),
            lapin::ExchangeKind::Direct,
            lapin::options::ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("exchange");
    channel
        .queue_declare(queue.as_str().into(), durable, FieldTable::default())
        .await
        .expect("classic queue");
    channel
        .queue_bind(
            queue.as_str().into(),
            topology.exchange().as_str().into(),
            kind.into(),
            Default::default(),
            FieldTable::default(),
        )
        .await
        .expect("bound");
    for n in 0..3 {
        channel
            .basic_publish(
                "".into(),
                queue.as_str().into(),
                BasicPublishOptions::default(),
                format!(r#"{{"jobId":"job-waiting-{n}"}}"#).as_bytes(),
                BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .expect("publish")
            .await
            .expect("confirmed");
    }

    // Both processes start at once, and both find the classic queue.
    let other = Broker::new(&stack.settings.rabbitmq, "test-topology-other");
    let other_connection = other.connection().await.expect("broker");
    let (api, worker) = tokio::join!(
        topology.declare(&connection),
        topology.declare(&other_connection)
    );
    api.expect("the classic queue is replaced");
    worker.expect("the classic queue is replaced, by either process");
    // No longer classic: declaring it classic is now refused.
    let check = connection.create_channel().await.expect("channel");
    let classic = check
        .queue_declare(queue.as_str().into(), durable, FieldTable::default())
        .await;
    assert!(classic.is_err(), "the queue is still classic");
    // Its messages were moved, not lost, and the holding queue is gone.
    assert_eq!(depth(&connection, &queue).await, 3);
    let holding = connection.create_channel().await.expect("channel");
    let leftover = holding
        .queue_declare(
            format!("{queue}.migrating").as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await;
    assert!(leftover.is_err(), "the holding queue is left behind");
    // Declaring again, as every start does, changes nothing.
    topology.declare(&connection).await.expect("declared again");
    assert_eq!(depth(&connection, &queue).await, 3);

    // Jobs flow through the new queue: the whole pipeline with a worker.
    let worker = stack.spawn_worker();
    worker.wait_for_log("backbeat-worker ready", Duration::from_secs(30));
    let api = stack.api().await;
    let (token, playlist, _) = api.listener_with_playlist("quorum").await;
    let job = api.export(&token, &playlist, "quorum@example.com").await;
    api.wait_job(&token, &job, Duration::from_secs(30)).await;
    broker.close().await;
    other.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_starting_together_on_new_queues_log_no_errors() {
    let stack = Stack::new(|_| {}).await;
    let workers = stack.spawn_workers(3);
    tokio::time::sleep(Duration::from_millis(500)).await;
    for worker in &workers {
        let errors: Vec<String> = worker
            .logs()
            .into_iter()
            .filter(|l| l.contains("\"level\":\"ERROR\""))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
